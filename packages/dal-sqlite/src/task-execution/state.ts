/** Task transitions T2, T3, T6, T7, T12, T13 (01 §7.2) and the readiness batch. */
import { check, chunk, DAL_TEXTS, eventData, leaseGuardArg, NotFoundError, readinessDecisions, requireAllFound, sortIds, TASK_SOURCES } from '@cloacina/core';
import type { LeaseGuard, PendingEvent, ReadinessDecision, TaskStatus } from '@cloacina/core';
import { bytesId, fenceMiss, guardMiss, MAX_PARAMS, placeholders, selectByIds, TS, U, writeEvents } from '../internal.js';
import type { Ctx, Env, Scope } from '../scope.js';

export const sqlList = (values: readonly string[]): string => `(${values.map((v) => `'${v}'`).join(', ')})`;

/** T6's fenced row change, shared by markCompleted and completeWithOutput. */
export async function completeFenced(
  c: Ctx,
  now: Date,
  id: string,
  runnerId: string,
): Promise<{ pipelineId: string; attempt: number; taskName: string }> {
  const rows = await c.all<{ pipeline_execution_id: Buffer; attempt: number; task_name: string }>(
    `UPDATE task_executions
        SET status = 'Completed', completed_at = ?, claimed_by = NULL, heartbeat_at = NULL, retry_at = NULL, updated_at = ?
      WHERE id = ? AND status = 'Running' AND claimed_by = ? RETURNING pipeline_execution_id, attempt, task_name`,
    [TS(now), TS(now), U(id), runnerId],
  );
  if (rows.length === 0) return fenceMiss(c, id, runnerId);
  const r = rows[0]!;
  return { pipelineId: bytesId(r.pipeline_execution_id), attempt: r.attempt, taskName: r.task_name };
}

/** SQL and parameters of an optional lease guard (validated by core) on a Running task. */
export function guardSql(guard: unknown): { sql: string; params: unknown[] } {
  const g = leaseGuardArg(guard);
  if (!g) return { sql: '', params: [] };
  const before = g.heartbeatBefore === undefined ? null : TS(g.heartbeatBefore);
  return {
    sql: " AND status = 'Running' AND claimed_by = ?" + (before !== null ? ' AND heartbeat_at < ?' : ''),
    params: before !== null ? [g.claimedBy, before] : [g.claimedBy],
  };
}

async function markReadinessIn(c: Ctx, env: Env, decisions: ReadinessDecision[]) {
  const now = env.now();
  // One decision per task (core keeps the first); Ready ones apply first, then skips, one
  // statement per kind.
  const readyIds: string[] = [];
  const skipReason = new Map<string, string>();
  for (const d of decisions) {
    if (d.outcome === 'Ready') readyIds.push(d.id);
    else skipReason.set(d.id, d.reason);
  }
  const ids = decisions.map((d) => d.id);
  const refuseUnknown = async () => {
    const found = await selectByIds(c, ids, 0, (list) => `SELECT id FROM task_executions WHERE id IN (${list})`, (p) => p);
    requireAllFound('TaskExecution', ids, found.map((r) => bytesId(r.id as Buffer)));
  };
  // A small batch (the hot path) carries the existence check as a gate on its updates: an
  // unknown id makes them change nothing, and the check runs on its own only when fewer rows
  // changed than were decided. A large batch checks first.
  const gate = ids.length * 3 + 3 <= MAX_PARAMS ? { sql: ` AND (SELECT count(*) FROM task_executions WHERE id IN (${placeholders(ids.length)})) = ?`, params: [...ids.map(U), ids.length] } : null;
  if (gate === null) await refuseUnknown();

  const events: PendingEvent[] = [];
  const ready: string[] = [];
  for (const part of chunk(readyIds, MAX_PARAMS - 1)) {
    const rows = await c.all<{ id: Buffer; pipeline_execution_id: Buffer }>(
      `UPDATE task_executions SET status = 'Ready', updated_at = ?
        WHERE id IN (${placeholders(part.length)}) AND status = 'NotStarted'${gate?.sql ?? ''} RETURNING id, pipeline_execution_id`,
      [TS(now), ...part.map(U), ...(gate?.params ?? [])],
    );
    for (const r of rows) {
      const taskId = bytesId(r.id);
      ready.push(taskId);
      events.push({ pipelineExecutionId: bytesId(r.pipeline_execution_id), taskExecutionId: taskId, eventType: 'task_ready', eventData: null, runnerId: env.runnerId });
    }
  }
  const skipIds = [...skipReason.keys()];
  const skipped: string[] = [];
  for (const part of chunk(skipIds, Math.floor((MAX_PARAMS - 2) / 2))) {
    // One statement per chunk: each row's own reason comes from the VALUES list.
    const rows = await c.all<{ id: Buffer; pipeline_execution_id: Buffer; error_details: string }>(
      `WITH d(id, reason) AS (VALUES ${part.map(() => '(?, ?)').join(', ')})
       UPDATE task_executions
          SET status = 'Skipped', error_details = (SELECT d.reason FROM d WHERE d.id = task_executions.id),
              completed_at = ?, updated_at = ?
        WHERE id IN (SELECT id FROM d) AND status = 'NotStarted'${gate?.sql ?? ''}
        RETURNING id, pipeline_execution_id, error_details`,
      [...part.flatMap((id) => [U(id), skipReason.get(id)]), TS(now), TS(now), ...(gate?.params ?? [])],
    );
    for (const r of rows) {
      const taskId = bytesId(r.id);
      skipped.push(taskId);
      events.push({
        pipelineExecutionId: bytesId(r.pipeline_execution_id),
        taskExecutionId: taskId,
        eventType: 'task_skipped',
        eventData: eventData.taskSkipped(r.error_details),
        runnerId: env.runnerId,
      });
    }
  }
  if (gate !== null && ready.length + skipped.length < ids.length) await refuseUnknown();
  await writeEvents(c, env, now, events);
  return { ready: sortIds(ready), skipped: sortIds(skipped) };
}

export function createStateMethods(scope: Scope) {
  const { env } = scope;
  return {
    async markReady(rawId: string): Promise<boolean> {
      const id = check.id(rawId);
      return scope.atomic(async (c) => {
        const now = env.now();
        const rows = await c.all<{ pipeline_execution_id: Buffer }>(
          `UPDATE task_executions SET status = 'Ready', updated_at = ?
            WHERE id = ? AND status IN ${sqlList(TASK_SOURCES.markReady)} RETURNING pipeline_execution_id`,
          [TS(now), U(id)],
        );
        if (rows.length === 0) return guardMiss(c, 'task_executions', 'TaskExecution', id);
        const pid = bytesId(rows[0]!.pipeline_execution_id);
        await writeEvents(c, env, now, [{ pipelineExecutionId: pid, taskExecutionId: id, eventType: 'task_ready', eventData: null, runnerId: env.runnerId }]);
        return true;
      });
    },

    async markSkipped(rawId: string, reason: string): Promise<boolean> {
      const id = check.id(rawId);
      const why = check.text(reason, 'reason', { min: 0 });
      return scope.atomic(async (c) => {
        const now = env.now();
        const rows = await c.all<{ pipeline_execution_id: Buffer }>(
          `UPDATE task_executions SET status = 'Skipped', error_details = ?, completed_at = ?, updated_at = ?
            WHERE id = ? AND status IN ${sqlList(TASK_SOURCES.markSkipped)} RETURNING pipeline_execution_id`,
          [why, TS(now), TS(now), U(id)],
        );
        if (rows.length === 0) return guardMiss(c, 'task_executions', 'TaskExecution', id);
        const pid = bytesId(rows[0]!.pipeline_execution_id);
        await writeEvents(c, env, now, [
          { pipelineExecutionId: pid, taskExecutionId: id, eventType: 'task_skipped', eventData: eventData.taskSkipped(why), runnerId: env.runnerId },
        ]);
        return true;
      });
    },

    async markReadiness(decisions: ReadinessDecision[]): Promise<{ ready: string[]; skipped: string[] }> {
      const valid = readinessDecisions(decisions);
      if (valid.length === 0) return { ready: [], skipped: [] };
      return scope.atomic((c) => markReadinessIn(c, env, valid));
    },

    async markCompleted(rawId: string, runnerId: string): Promise<void> {
      const id = check.id(rawId);
      const runner = check.text(runnerId, 'runnerId');
      await scope.atomic(async (c) => {
        const now = env.now();
        const { pipelineId, attempt } = await completeFenced(c, now, id, runner);
        await writeEvents(c, env, now, [
          { pipelineExecutionId: pipelineId, taskExecutionId: id, eventType: 'task_completed', eventData: eventData.taskCompleted(attempt, null), runnerId: runner },
        ]);
      });
    },

    async markFailed(rawId: string, runnerId: string, message: string): Promise<void> {
      const id = check.id(rawId);
      const runner = check.text(runnerId, 'runnerId');
      const msg = check.text(message, 'message', { min: 0 });
      await scope.atomic(async (c) => {
        const now = env.now();
        const rows = await c.all<{ pipeline_execution_id: Buffer; attempt: number }>(
          `UPDATE task_executions
              SET status = 'Failed', completed_at = ?, last_error = ?, error_details = ?,
                  claimed_by = NULL, heartbeat_at = NULL, updated_at = ?
            WHERE id = ? AND status = 'Running' AND claimed_by = ? RETURNING pipeline_execution_id, attempt`,
          [TS(now), msg, msg, TS(now), U(id), runner],
        );
        if (rows.length === 0) return fenceMiss(c, id, runner);
        const pid = bytesId(rows[0]!.pipeline_execution_id);
        await writeEvents(c, env, now, [
          { pipelineExecutionId: pid, taskExecutionId: id, eventType: 'task_failed', eventData: eventData.taskFailed(rows[0]!.attempt, msg), runnerId: runner },
        ]);
      });
    },

    async markAbandoned(rawId: string, reason: string, guard?: LeaseGuard): Promise<boolean> {
      const id = check.id(rawId);
      const why = check.text(reason, 'reason', { min: 0 });
      const g = guardSql(guard);
      return scope.atomic(async (c) => {
        const now = env.now();
        const rows = await c.all<{ pipeline_execution_id: Buffer }>(
          `UPDATE task_executions
              SET status = 'Failed', completed_at = ?, error_details = ?, claimed_by = NULL, heartbeat_at = NULL, updated_at = ?
            WHERE id = ? AND status IN ${sqlList(TASK_SOURCES.markAbandoned)}${g.sql} RETURNING pipeline_execution_id`,
          [TS(now), DAL_TEXTS.abandoned(why), TS(now), U(id), ...g.params],
        );
        if (rows.length === 0) return guardMiss(c, 'task_executions', 'TaskExecution', id);
        const pid = bytesId(rows[0]!.pipeline_execution_id);
        await writeEvents(c, env, now, [
          { pipelineExecutionId: pid, taskExecutionId: id, eventType: 'task_abandoned', eventData: eventData.taskAbandoned(why), runnerId: env.runnerId },
        ]);
        return true;
      });
    },

    async resetRetryState(rawId: string): Promise<boolean> {
      const id = check.id(rawId);
      return scope.atomic(async (c) => {
        const now = env.now();
        // Inside BEGIN IMMEDIATE (or the caller's write transaction) nobody can change the row
        // between this read and the update; the read gives previous_status for the event.
        const row = await c.get<{ status: TaskStatus; pipeline_execution_id: Buffer }>(
          'SELECT status, pipeline_execution_id FROM task_executions WHERE id = ?',
          [U(id)],
        );
        if (!row) throw new NotFoundError('TaskExecution', id);
        if (!(TASK_SOURCES.resetRetryState as readonly string[]).includes(row.status)) return false;
        await c.run(
          `UPDATE task_executions
              SET status = 'Ready', attempt = 1, retry_at = NULL, started_at = NULL, completed_at = NULL,
                  last_error = NULL, error_details = NULL, updated_at = ?
            WHERE id = ?`,
          [TS(now), U(id)],
        );
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: bytesId(row.pipeline_execution_id),
            taskExecutionId: id,
            eventType: 'task_retry_reset',
            eventData: eventData.taskRetryReset(row.status),
            runnerId: env.runnerId,
          },
        ]);
        return true;
      });
    },
  };
}
