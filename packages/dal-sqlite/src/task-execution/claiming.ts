/** Claims, leases and retries: T5 (+ P3), T8, T10 and heartbeats. */
import { check, chunk, eventData, ValidationError, type ClaimResult, type PendingEvent, type TaskExecution } from '@cloacina/core';
import { bytesId, decode, distinct, fenceMiss, MAX_PARAMS, placeholders, sortIds, TS, U, writeEvents } from '../internal.js';
import type { Scope } from '../scope.js';

export function createClaimingMethods(scope: Scope) {
  const { env } = scope;
  return {
    async claimReadyTasks(runnerId: string, limit: number, workflowNames?: string[]): Promise<ClaimResult[]> {
      const runner = check.text(runnerId, 'runnerId');
      check.limit(limit);
      const names = workflowNames === undefined || workflowNames === null ? null : distinct(check.names(workflowNames, 'workflowNames'));
      if (limit === 0 || (names !== null && names.length === 0)) return [];
      return scope.atomic(async (c) => {
        const now = env.now();
        const nowS = TS(now);
        // The workflow list travels as one JSON parameter, so its length never meets the
        // bound-parameter limit. BEGIN IMMEDIATE (or the caller's write transaction) makes the
        // select-and-update atomic across connections and processes.
        const nameFilter = names !== null ? ' AND p.pipeline_name IN (SELECT value FROM json_each(?))' : '';
        const rows = await c.all(
          `UPDATE task_executions
              SET status = 'Running', started_at = ?, claimed_by = ?, heartbeat_at = ?, updated_at = ?
            WHERE id IN (
              SELECT t.id FROM task_executions t JOIN pipeline_executions p ON p.id = t.pipeline_execution_id
               WHERE t.status = 'Ready' AND (t.retry_at IS NULL OR t.retry_at <= ?)
                 AND p.status IN ('Pending', 'Running')${nameFilter}
               ORDER BY t.id LIMIT ?)
            RETURNING id, pipeline_execution_id, task_name, attempt, max_attempts, task_configuration`,
          [nowS, runner, nowS, nowS, nowS, ...(names !== null ? [JSON.stringify(names)] : []), limit],
        );
        if (rows.length === 0) return [];
        const claims = rows.map((r) => decode.task(r) as unknown as ClaimResult).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const events: PendingEvent[] = claims.map((t) => ({
          pipelineExecutionId: t.pipelineExecutionId,
          taskExecutionId: t.id,
          eventType: 'task_claimed',
          eventData: eventData.taskClaimed(t.attempt),
          runnerId: env.runnerId,
        }));
        // P3 in the same transaction: the first claim of a Pending run starts it.
        const pipelineIds = distinct(claims.map((t) => t.pipelineExecutionId));
        for (const part of chunk(pipelineIds, MAX_PARAMS - 1)) {
          const started = await c.all<{ id: Buffer }>(
            `UPDATE pipeline_executions SET status = 'Running', updated_at = ?
              WHERE id IN (${placeholders(part.length)}) AND status = 'Pending' RETURNING id`,
            [nowS, ...part.map(U)],
          );
          for (const s of started) {
            events.push({ pipelineExecutionId: bytesId(s.id), taskExecutionId: null, eventType: 'pipeline_started', eventData: null, runnerId: env.runnerId });
          }
        }
        await writeEvents(c, env, now, events);
        return claims;
      });
    },

    async scheduleRetry(rawId: string, runnerId: string, opts: { retryAt: Date; error?: string }): Promise<void> {
      const id = check.id(rawId);
      const runner = check.text(runnerId, 'runnerId');
      if (opts === null || typeof opts !== 'object') throw new ValidationError('opts must be an object', { field: 'opts' });
      const retryAt = check.date(opts.retryAt, 'retryAt');
      const error = check.optionalText(opts.error, 'error');
      await scope.atomic(async (c) => {
        const now = env.now();
        const rows = await c.all<{ pipeline_execution_id: Buffer; attempt: number }>(
          `UPDATE task_executions
              SET status = 'Ready', attempt = attempt + 1, retry_at = ?, started_at = NULL, last_error = ?,
                  claimed_by = NULL, heartbeat_at = NULL, updated_at = ?
            WHERE id = ? AND status = 'Running' AND claimed_by = ? RETURNING pipeline_execution_id, attempt`,
          [TS(retryAt), error, TS(now), U(id), runner],
        );
        if (rows.length === 0) return fenceMiss(c, id, runner);
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: bytesId(rows[0]!.pipeline_execution_id),
            taskExecutionId: id,
            eventType: 'task_retry_scheduled',
            eventData: eventData.taskRetryScheduled(rows[0]!.attempt, retryAt, error),
            runnerId: runner,
          },
        ]);
      });
    },

    async getReadyForRetry(): Promise<TaskExecution[]> {
      const now = TS(env.now());
      const rows = await scope.read((q) =>
        q.all("SELECT * FROM task_executions WHERE status = 'Ready' AND (retry_at IS NULL OR retry_at <= ?) ORDER BY id", [now]),
      );
      return rows.map(decode.task);
    },

    async heartbeat(rawId: string, runnerId: string): Promise<void> {
      const id = check.id(rawId);
      const runner = check.text(runnerId, 'runnerId');
      await scope.write(async (c) => {
        // heartbeat_at only: updated_at stays, so lease renewals stay cheap (01 §7.2).
        const { changes } = await c.run(
          "UPDATE task_executions SET heartbeat_at = ? WHERE id = ? AND status = 'Running' AND claimed_by = ?",
          [TS(env.now()), U(id), runner],
        );
        if (changes === 0) await fenceMiss(c, id, runner);
      });
    },

    async heartbeatMany(runnerId: string, rawIds: string[]): Promise<{ renewed: string[]; lost: string[] }> {
      const runner = check.text(runnerId, 'runnerId');
      const ids = distinct(check.ids(rawIds));
      if (ids.length === 0) return { renewed: [], lost: [] };
      const renewed = await scope.write(async (c) => {
        const now = TS(env.now());
        const out: string[] = [];
        for (const part of chunk(ids, MAX_PARAMS - 2)) {
          const rows = await c.all<{ id: Buffer }>(
            `UPDATE task_executions SET heartbeat_at = ?
              WHERE id IN (${placeholders(part.length)}) AND status = 'Running' AND claimed_by = ? RETURNING id`,
            [now, ...part.map(U), runner],
          );
          for (const r of rows) out.push(bytesId(r.id));
        }
        return out;
      });
      const kept = new Set(renewed);
      return { renewed: sortIds(renewed), lost: sortIds(ids.filter((id) => !kept.has(id))) };
    },

    async releaseClaim(rawId: string, runnerId: string): Promise<void> {
      const id = check.id(rawId);
      const runner = check.text(runnerId, 'runnerId');
      await scope.atomic(async (c) => {
        const now = env.now();
        const rows = await c.all<{ pipeline_execution_id: Buffer; attempt: number }>(
          `UPDATE task_executions
              SET status = 'Ready', started_at = NULL, claimed_by = NULL, heartbeat_at = NULL, updated_at = ?
            WHERE id = ? AND status = 'Running' AND claimed_by = ? RETURNING pipeline_execution_id, attempt`,
          [TS(now), U(id), runner],
        );
        if (rows.length === 0) return fenceMiss(c, id, runner);
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: bytesId(rows[0]!.pipeline_execution_id),
            taskExecutionId: id,
            eventType: 'task_released',
            eventData: eventData.taskReleased(rows[0]!.attempt),
            runnerId: runner,
          },
        ]);
      });
    },

    async findClaimsByRunner(runnerId: string): Promise<TaskExecution[]> {
      const runner = check.text(runnerId, 'runnerId', { min: 0 });
      const rows = await scope.read((q) =>
        q.all("SELECT * FROM task_executions WHERE status = 'Running' AND claimed_by = ? ORDER BY id", [runner]),
      );
      return rows.map(decode.task);
    },
  };
}
