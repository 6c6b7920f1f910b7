/** Lease recovery (T11) and failure/retry statistics. */
import { ABANDONED_PREFIX, check, eventData, NotFoundError, type LeaseGuard, type RetryStats, type TaskExecution } from '@cloacina/core';
import { bytesId, decode, TS, U, writeEvents } from '../internal.js';
import type { Scope } from '../scope.js';
import { guardSql } from './state.js';

export function createRecoveryMethods(scope: Scope) {
  const { env } = scope;
  return {
    async getOrphanedTasks(): Promise<TaskExecution[]> {
      const rows = await scope.read((q) => q.all("SELECT * FROM task_executions WHERE status = 'Running' ORDER BY id"));
      return rows.map(decode.task);
    },

    async findStaleClaims(staleBefore: Date, limit?: number): Promise<TaskExecution[]> {
      const cutoff = TS(check.date(staleBefore, 'staleBefore'));
      const lim = limit === undefined || limit === null ? null : check.limit(limit);
      const rows = await scope.read((q) =>
        q.all(
          `SELECT * FROM task_executions WHERE status = 'Running' AND heartbeat_at < ?
            ORDER BY heartbeat_at, id${lim !== null ? ' LIMIT ?' : ''}`,
          lim !== null ? [cutoff, lim] : [cutoff],
        ),
      );
      return rows.map(decode.task);
    },

    async resetTaskForRecovery(rawId: string, guard?: LeaseGuard): Promise<boolean> {
      const id = check.id(rawId);
      const g = guardSql(guard);
      return scope.atomic(async (c) => {
        const now = env.now();
        // The previous owner is needed for the event; inside the write transaction the row
        // cannot change between this read and the conditional update.
        const before = await c.get<{ claimed_by: string | null; pipeline_execution_id: Buffer }>(
          'SELECT claimed_by, pipeline_execution_id FROM task_executions WHERE id = ?',
          [U(id)],
        );
        if (!before) throw new NotFoundError('TaskExecution', id);
        const rows = await c.all<{ recovery_attempts: number }>(
          `UPDATE task_executions
              SET status = 'Ready', started_at = NULL, claimed_by = NULL, heartbeat_at = NULL,
                  recovery_attempts = recovery_attempts + 1, last_recovery_at = ?, updated_at = ?
            WHERE id = ? AND status = 'Running'${g.sql} RETURNING recovery_attempts`,
          [TS(now), TS(now), U(id), ...g.params],
        );
        if (rows.length === 0) return false;
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: bytesId(before.pipeline_execution_id),
            taskExecutionId: id,
            eventType: 'task_reset',
            eventData: eventData.taskReset(rows[0]!.recovery_attempts, before.claimed_by),
            runnerId: env.runnerId,
          },
        ]);
        return true;
      });
    },

    async checkPipelineFailure(pipelineId: string): Promise<boolean> {
      const pid = check.id(pipelineId, 'pipelineId');
      // substr, not LIKE: SQLite's LIKE is case-insensitive and the prefix is case-sensitive.
      const row = await scope.read((q) =>
        q.get<{ found: number }>(
          `SELECT EXISTS (SELECT 1 FROM task_executions
                           WHERE pipeline_execution_id = ? AND status = 'Failed' AND substr(error_details, 1, ?) = ?) AS found`,
          [U(pid), ABANDONED_PREFIX.length, ABANDONED_PREFIX],
        ),
      );
      return row?.found === 1;
    },

    async getRetryStats(pipelineId: string): Promise<RetryStats> {
      const pid = check.id(pipelineId, 'pipelineId');
      const row = await scope.read((q) =>
        q.get<{ with_retries: number; total: number; max_used: number; exhausted: number }>(
          `SELECT coalesce(sum(CASE WHEN attempt > 1 THEN 1 ELSE 0 END), 0) AS with_retries,
                  coalesce(sum(CASE WHEN attempt > 1 THEN attempt - 1 ELSE 0 END), 0) AS total,
                  coalesce(max(attempt), 0) AS max_used,
                  coalesce(sum(CASE WHEN status = 'Failed' AND attempt >= max_attempts THEN 1 ELSE 0 END), 0) AS exhausted
             FROM task_executions WHERE pipeline_execution_id = ?`,
          [U(pid)],
        ),
      );
      return {
        tasksWithRetries: Number(row?.with_retries ?? 0),
        totalRetries: Number(row?.total ?? 0),
        maxAttemptsUsed: Number(row?.max_used ?? 0),
        tasksExhaustedRetries: Number(row?.exhausted ?? 0),
      };
    },

    async getExhaustedRetryTasks(pipelineId: string): Promise<TaskExecution[]> {
      const pid = check.id(pipelineId, 'pipelineId');
      const rows = await scope.read((q) =>
        q.all("SELECT * FROM task_executions WHERE pipeline_execution_id = ? AND status = 'Failed' AND attempt >= max_attempts ORDER BY id", [U(pid)]),
      );
      return rows.map(decode.task);
    },
  };
}
