/** Task executions: lease recovery and retry statistics (02 §4.3 recovery; T11). */
import { ABANDONED_PREFIX, check, eventData, NotFoundError, type TaskExecutionDal } from '@cloacina/core';
import { ev, leaseGuard, selectRows, toCount, writeEvents, type Scope } from '../shared/index.js';

export type RecoveryMethods = Pick<
  TaskExecutionDal,
  'getOrphanedTasks' | 'findStaleClaims' | 'resetTaskForRecovery' | 'checkPipelineFailure' | 'getRetryStats' | 'getExhaustedRetryTasks'
>;

export function taskRecovery(x: Scope): RecoveryMethods {
  const { rt } = x;
  const t = rt.t.tasks;
  const tid = (id: string) => t.enc('id', id);
  const pidParam = (id: string) => t.enc('pipelineExecutionId', id);

  return {
    async getOrphanedTasks() {
      return x.run((s) => selectRows(s, t, "WHERE status = 'Running' ORDER BY id"));
    },

    async findStaleClaims(staleBefore, limit) {
      check.date(staleBefore, 'staleBefore');
      if (limit !== undefined) check.limit(limit, 'limit');
      const tail = "WHERE status = 'Running' AND heartbeat_at < $1 ORDER BY heartbeat_at, id";
      return x.run((s) =>
        limit === undefined
          ? selectRows(s, t, tail, [t.enc('heartbeatAt', staleBefore)])
          : selectRows(s, t, `${tail} LIMIT $2`, [t.enc('heartbeatAt', staleBefore), limit]),
      );
    },

    async resetTaskForRecovery(id, guard) {
      const key = check.id(id);
      const lease = leaseGuard(rt, guard, 3);
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        // The previous owner goes into the event; the row lock keeps it accurate until the update.
        const cur = await s.first(`SELECT pipeline_execution_id, claimed_by FROM task_executions WHERE id = $1${s.d.forUpdate()}`, [tid(key)]);
        if (!cur) throw new NotFoundError('TaskExecution', key);
        const row = await s.first(
          `UPDATE task_executions SET status = 'Ready', started_at = NULL, claimed_by = NULL, heartbeat_at = NULL,
             recovery_attempts = recovery_attempts + 1, last_recovery_at = $2, updated_at = $2
           WHERE id = $1 AND ${lease ? lease.sql : "status = 'Running'"} RETURNING recovery_attempts`,
          [tid(key), t.enc('updatedAt', now), ...(lease?.params ?? [])],
        );
        if (!row) return false;
        const previousRunner = (cur.claimed_by as string | null) ?? null;
        await writeEvents(s, rt, tx, now, [
          ev('task_reset', rt.p.uuidOf(cur.pipeline_execution_id), key, eventData.taskReset(Number(row.recovery_attempts), previousRunner), rt.runnerId),
        ]);
        return true;
      });
    },

    async checkPipelineFailure(pipelineId) {
      const key = check.id(pipelineId, 'pipelineId');
      return x.run(async (s) => {
        // substr, not LIKE: the prefix is case-sensitive and SQLite's LIKE is not.
        const row = await s.first(
          "SELECT 1 AS hit FROM task_executions WHERE pipeline_execution_id = $1 AND status = 'Failed' AND substr(error_details, 1, $3) = $2 LIMIT 1",
          [pidParam(key), ABANDONED_PREFIX, ABANDONED_PREFIX.length],
        );
        return row !== undefined;
      });
    },

    async getRetryStats(pipelineId) {
      const key = check.id(pipelineId, 'pipelineId');
      return x.run(async (s) => {
        const row = await s.first(
          `SELECT
             SUM(CASE WHEN attempt > 1 THEN 1 ELSE 0 END) AS with_retries,
             SUM(CASE WHEN attempt > 1 THEN attempt - 1 ELSE 0 END) AS total_retries,
             MAX(attempt) AS max_attempt,
             SUM(CASE WHEN status = 'Failed' AND attempt >= max_attempts THEN 1 ELSE 0 END) AS exhausted
           FROM task_executions WHERE pipeline_execution_id = $1`,
          [pidParam(key)],
        );
        return {
          tasksWithRetries: toCount(row?.with_retries),
          totalRetries: toCount(row?.total_retries),
          maxAttemptsUsed: toCount(row?.max_attempt),
          tasksExhaustedRetries: toCount(row?.exhausted),
        };
      });
    },

    async getExhaustedRetryTasks(pipelineId) {
      const key = check.id(pipelineId, 'pipelineId');
      return x.run((s) => selectRows(s, t, "WHERE pipeline_execution_id = $1 AND status = 'Failed' AND attempt >= max_attempts ORDER BY id", [pidParam(key)]));
    },
  };
}
