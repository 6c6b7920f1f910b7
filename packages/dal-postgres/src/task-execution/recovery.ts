/** Task executions: lease recovery and retry statistics (02 §4.3 recovery; 01 §7.2 T11). */
import { ABANDONED_PREFIX, check, eventData, leaseGuardArg, type TaskExecutionDal } from '@cloacina/core';
import type { Exec } from '../executor.js';
import { decode, defaultRunner, existsOrThrow, leaseGuardSql, num, ts, writeEvents } from '../shared.js';

type Recovery = Pick<
  TaskExecutionDal,
  'getOrphanedTasks' | 'findStaleClaims' | 'resetTaskForRecovery' | 'checkPipelineFailure' | 'getRetryStats' | 'getExhaustedRetryTasks'
>;

export function createTaskRecovery(e: Exec): Recovery {
  return {
    async getOrphanedTasks() {
      const rows = await e.rows("SELECT * FROM task_executions WHERE status = 'Running' ORDER BY id");
      return rows.map(decode.task);
    },

    async findStaleClaims(staleBefore, limit) {
      const cutoff = ts(check.date(staleBefore, 'staleBefore'));
      const params: unknown[] = [cutoff];
      let limitSql = '';
      if (limit !== undefined) {
        params.push(check.limit(limit));
        limitSql = ' LIMIT $2';
      }
      const rows = await e.rows(
        `SELECT * FROM task_executions WHERE status = 'Running' AND heartbeat_at < $1::timestamptz
          ORDER BY heartbeat_at, id${limitSql}`,
        params,
      );
      return rows.map(decode.task);
    },

    async resetTaskForRecovery(id, guard) {
      const key = check.id(id);
      const g = leaseGuardArg(guard);
      const now = e.now();
      return e.tx(async (c) => {
        const params: unknown[] = [key, ts(now)];
        const guardSql = leaseGuardSql(g, params, 'o');
        // The locked pre-image (o) gives the previous runner for the event and the guard check.
        const rows = await c.rows<{ pipeline_execution_id: string; recovery_attempts: number; previous_runner: string | null }>(
          `WITH o AS (SELECT id, status, claimed_by, heartbeat_at FROM task_executions WHERE id = $1 FOR UPDATE)
           UPDATE task_executions t
              SET status = 'Ready', started_at = NULL, claimed_by = NULL, heartbeat_at = NULL,
                  recovery_attempts = t.recovery_attempts + 1, last_recovery_at = $2, updated_at = $2
             FROM o
            WHERE t.id = o.id AND o.status = 'Running'${guardSql}
            RETURNING t.pipeline_execution_id, t.recovery_attempts, o.claimed_by AS previous_runner`,
          params,
        );
        if (rows.length === 0) return existsOrThrow(c, 'task_executions', 'TaskExecution', key);
        const r = rows[0]!;
        await writeEvents(c, now, [
          {
            pipelineExecutionId: r.pipeline_execution_id,
            taskExecutionId: key,
            eventType: 'task_reset',
            eventData: eventData.taskReset(r.recovery_attempts, r.previous_runner),
            runnerId: defaultRunner(c),
          },
        ]);
        return true;
      });
    },

    async checkPipelineFailure(pipelineId) {
      // Byte-wise, case-sensitive prefix test (never LIKE), per 01 §7.2.
      const rows = await e.rows<{ abandoned: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM task_executions
                         WHERE pipeline_execution_id = $1 AND status = 'Failed'
                           AND left(error_details, $2) COLLATE "C" = $3 COLLATE "C") AS abandoned`,
        [check.id(pipelineId, 'pipelineId'), ABANDONED_PREFIX.length, ABANDONED_PREFIX],
      );
      return rows[0]!.abandoned;
    },

    async getRetryStats(pipelineId) {
      const rows = await e.rows<{ with_retries: string; total_retries: string | null; max_attempt: number | null; exhausted: string }>(
        `SELECT count(*) FILTER (WHERE attempt > 1) AS with_retries,
                sum(attempt - 1) FILTER (WHERE attempt > 1) AS total_retries,
                max(attempt) AS max_attempt,
                count(*) FILTER (WHERE status = 'Failed' AND attempt >= max_attempts) AS exhausted
           FROM task_executions WHERE pipeline_execution_id = $1`,
        [check.id(pipelineId, 'pipelineId')],
      );
      const r = rows[0]!;
      return {
        tasksWithRetries: num(r.with_retries),
        totalRetries: num(r.total_retries),
        maxAttemptsUsed: num(r.max_attempt),
        tasksExhaustedRetries: num(r.exhausted),
      };
    },

    async getExhaustedRetryTasks(pipelineId) {
      const rows = await e.rows(
        "SELECT * FROM task_executions WHERE pipeline_execution_id = $1 AND status = 'Failed' AND attempt >= max_attempts ORDER BY id",
        [check.id(pipelineId, 'pipelineId')],
      );
      return rows.map(decode.task);
    },
  };
}
