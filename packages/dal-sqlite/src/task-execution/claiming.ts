/** Claims, leases and retries: T5 (+ P3), T8, T10 and heartbeats. */
import { byId, check, chunk, claimEvents, distinct, eventData, renewalResult, retryOptions, textList } from '@cloacina/core';
import type { ClaimResult, TaskExecution } from '@cloacina/core';
import { bytesId, decode, fenceMiss, MAX_PARAMS, placeholders, TS, U, writeEvents } from '../internal.js';
import type { Scope } from '../scope.js';

export function createClaimingMethods(scope: Scope) {
  const { env } = scope;
  return {
    async claimReadyTasks(runnerId: string, limit: number, workflowNames?: string[]): Promise<ClaimResult[]> {
      const runner = check.text(runnerId, 'runnerId');
      check.limit(limit);
      const names = workflowNames === undefined || workflowNames === null ? null : distinct(textList(workflowNames, 'workflowNames'));
      if (limit === 0 || (names !== null && names.length === 0)) return [];
      return scope.atomic(async (c) => {
        const now = env.now();
        const nowS = TS(now);
        // The workflow list travels as one JSON parameter, so its length never meets the
        // bound-parameter limit. BEGIN IMMEDIATE (or the caller's write transaction) makes the
        // select-and-update atomic across connections and processes. INDEXED BY: without
        // statistics SQLite picks the status index and sorts every Ready row for each claim;
        // the partial Ready index yields them in id order, so the LIMIT stops the scan early.
        const nameFilter = names !== null ? ' AND p.pipeline_name IN (SELECT value FROM json_each(?))' : '';
        const rows = await c.all(
          `UPDATE task_executions
              SET status = 'Running', started_at = ?, claimed_by = ?, heartbeat_at = ?, updated_at = ?
            WHERE id IN (
              SELECT t.id FROM task_executions t INDEXED BY task_executions_ready_idx JOIN pipeline_executions p ON p.id = t.pipeline_execution_id
               WHERE t.status = 'Ready' AND (t.retry_at IS NULL OR t.retry_at <= ?)
                 AND p.status IN ('Pending', 'Running')${nameFilter}
               ORDER BY t.id LIMIT ?)
            RETURNING id, pipeline_execution_id, task_name, attempt, max_attempts, task_configuration,
                      (SELECT status FROM pipeline_executions WHERE id = task_executions.pipeline_execution_id) AS pipeline_status`,
          [nowS, runner, nowS, nowS, nowS, ...(names !== null ? [JSON.stringify(names)] : []), limit],
        );
        if (rows.length === 0) return [];
        const claims = rows.map((r) => decode.task(r) as unknown as ClaimResult).sort(byId);
        // P3 in the same transaction: the first claim of a Pending run starts it. The claim
        // reported each run's status, so runs already Running cost no statement.
        const started: string[] = [];
        const pipelineIds = distinct(rows.filter((r) => r.pipeline_status === 'Pending').map((r) => bytesId(r.pipeline_execution_id as Buffer))).sort();
        for (const part of chunk(pipelineIds, MAX_PARAMS - 1)) {
          const startedRows = await c.all<{ id: Buffer }>(
            `UPDATE pipeline_executions SET status = 'Running', updated_at = ?
              WHERE id IN (${placeholders(part.length)}) AND status = 'Pending' RETURNING id`,
            [nowS, ...part.map(U)],
          );
          for (const s of startedRows) started.push(bytesId(s.id));
        }
        await writeEvents(c, env, now, claimEvents(claims, started, env.runnerId));
        return claims;
      });
    },

    async scheduleRetry(rawId: string, runnerId: string, opts: { retryAt: Date; error?: string }): Promise<void> {
      const id = check.id(rawId);
      const runner = check.text(runnerId, 'runnerId');
      const { retryAt, error } = retryOptions(opts);
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
      return renewalResult(ids, renewed);
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
