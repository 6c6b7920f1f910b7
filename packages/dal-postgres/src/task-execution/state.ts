/** Task executions: readiness, completion, failure, abandonment, re-run (02 §4.3 state; 01 §7.2). */
import { check, DAL_TEXTS, eventData, leaseGuardArg, readinessDecisions, requireAllFound, sortIds, TASK_SOURCES } from '@cloacina/core';
import type { PendingEvent, ReadinessDecision, TaskExecutionDal, TaskStatus } from '@cloacina/core';
import type { Exec } from '../executor.js';
import { defaultRunner, existsOrThrow, fencedTransition, leaseGuardSql, sqlList, ts, writeEvents } from '../shared.js';

type State = Pick<
  TaskExecutionDal,
  'markReady' | 'markSkipped' | 'markReadiness' | 'markCompleted' | 'markFailed' | 'markAbandoned' | 'resetRetryState'
>;

const LEASE_CLEARED = 'claimed_by = NULL, heartbeat_at = NULL';

export function createTaskState(e: Exec): State {
  /** A guarded single-task transition from NotStarted (T2, T3). */
  const fromNotStarted = async (id: string, set: string, params: unknown[], event: Omit<PendingEvent, 'pipelineExecutionId' | 'taskExecutionId'>, now: Date) =>
    e.tx(async (c) => {
      const rows = await c.rows<{ pipeline_execution_id: string }>(
        `UPDATE task_executions SET ${set} WHERE id = $1 AND status = 'NotStarted' RETURNING pipeline_execution_id`,
        [id, ...params],
      );
      if (rows.length === 0) return existsOrThrow(c, 'task_executions', 'TaskExecution', id);
      await writeEvents(c, now, [{ ...event, pipelineExecutionId: rows[0]!.pipeline_execution_id, taskExecutionId: id }]);
      return true;
    });

  return {
    async markReady(id) {
      const key = check.id(id);
      const now = e.now();
      return fromNotStarted(key, "status = 'Ready', updated_at = $2", [ts(now)], { eventType: 'task_ready', eventData: null, runnerId: defaultRunner(e) }, now);
    },

    async markSkipped(id, reason) {
      const key = check.id(id);
      const why = check.text(reason, 'reason', { min: 0 });
      const now = e.now();
      return fromNotStarted(
        key,
        "status = 'Skipped', error_details = $2, completed_at = $3, updated_at = $3",
        [why, ts(now)],
        { eventType: 'task_skipped', eventData: eventData.taskSkipped(why), runnerId: defaultRunner(e) },
        now,
      );
    },

    async markReadiness(input) {
      const decisions = readinessDecisions(input);
      if (decisions.length === 0) return { ready: [], skipped: [] };
      const now = e.now();
      return e.tx(async (c) => {
        const ids = decisions.map((d) => d.id);
        // Lock every listed row in id order (02 §2.4) and find unknown ids before any write.
        const present = await c.rows<{ id: string }>('SELECT id FROM task_executions WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [ids]);
        requireAllFound('TaskExecution', ids, present.map((r) => r.id));
        const readyIds = decisions.filter((d) => d.outcome === 'Ready').map((d) => d.id);
        const skips = decisions.filter((d): d is Extract<ReadinessDecision, { outcome: 'Skipped' }> => d.outcome === 'Skipped');
        const events: PendingEvent[] = [];
        const ready: string[] = [];
        const skipped: string[] = [];
        if (readyIds.length > 0) {
          const rows = await c.rows<{ id: string; pipeline_execution_id: string }>(
            `UPDATE task_executions SET status = 'Ready', updated_at = $2
              WHERE id = ANY($1::uuid[]) AND status = 'NotStarted' RETURNING id, pipeline_execution_id`,
            [readyIds, ts(now)],
          );
          for (const r of rows) {
            ready.push(r.id);
            events.push({ pipelineExecutionId: r.pipeline_execution_id, taskExecutionId: r.id, eventType: 'task_ready', eventData: null, runnerId: defaultRunner(c) });
          }
        }
        if (skips.length > 0) {
          const rows = await c.rows<{ id: string; pipeline_execution_id: string; reason: string }>(
            `UPDATE task_executions t SET status = 'Skipped', error_details = d.reason, completed_at = $3, updated_at = $3
               FROM unnest($1::uuid[], $2::text[]) AS d(id, reason)
              WHERE t.id = d.id AND t.status = 'NotStarted'
              RETURNING t.id, t.pipeline_execution_id, d.reason`,
            [skips.map((s) => s.id), skips.map((s) => s.reason), ts(now)],
          );
          for (const r of rows) {
            skipped.push(r.id);
            events.push({
              pipelineExecutionId: r.pipeline_execution_id,
              taskExecutionId: r.id,
              eventType: 'task_skipped',
              eventData: eventData.taskSkipped(r.reason),
              runnerId: defaultRunner(c),
            });
          }
        }
        await writeEvents(c, now, events);
        return { ready: sortIds(ready), skipped: sortIds(skipped) };
      });
    },

    async markCompleted(id, runnerId) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      const now = e.now();
      await fencedTransition(e, key, runner, {
        set: `status = 'Completed', completed_at = $3, updated_at = $3, retry_at = NULL, ${LEASE_CLEARED}`,
        params: [ts(now)],
        now,
        eventType: 'task_completed',
        eventData: (attempt) => eventData.taskCompleted(attempt, null),
      });
    },

    async markFailed(id, runnerId, message) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      const msg = check.text(message, 'message', { min: 0 });
      const now = e.now();
      await fencedTransition(e, key, runner, {
        set: `status = 'Failed', completed_at = $3, updated_at = $3, error_details = $4, last_error = $4, ${LEASE_CLEARED}`,
        params: [ts(now), msg],
        now,
        eventType: 'task_failed',
        eventData: (attempt) => eventData.taskFailed(attempt, msg),
      });
    },

    async markAbandoned(id, reason, guard) {
      const key = check.id(id);
      const why = check.text(reason, 'reason', { min: 0 });
      const g = leaseGuardArg(guard);
      const now = e.now();
      return e.tx(async (c) => {
        const params: unknown[] = [key, ts(now), DAL_TEXTS.abandoned(why)];
        const guardSql = leaseGuardSql(g, params);
        const rows = await c.rows<{ pipeline_execution_id: string }>(
          `UPDATE task_executions SET status = 'Failed', completed_at = $2, updated_at = $2, error_details = $3, ${LEASE_CLEARED}
            WHERE id = $1 AND status IN (${sqlList(TASK_SOURCES.markAbandoned)})${guardSql}
            RETURNING pipeline_execution_id`,
          params,
        );
        if (rows.length === 0) return existsOrThrow(c, 'task_executions', 'TaskExecution', key);
        await writeEvents(c, now, [
          {
            pipelineExecutionId: rows[0]!.pipeline_execution_id,
            taskExecutionId: key,
            eventType: 'task_abandoned',
            eventData: eventData.taskAbandoned(why),
            runnerId: defaultRunner(c),
          },
        ]);
        return true;
      });
    },

    async resetRetryState(id) {
      const key = check.id(id);
      const now = e.now();
      return e.tx(async (c) => {
        // The locked pre-image (o) supplies previous_status for the event in the same statement.
        const rows = await c.rows<{ pipeline_execution_id: string; previous_status: TaskStatus }>(
          `WITH o AS (SELECT id, status FROM task_executions WHERE id = $1 FOR UPDATE)
           UPDATE task_executions t SET status = 'Ready', attempt = 1, retry_at = NULL, started_at = NULL, completed_at = NULL,
                  last_error = NULL, error_details = NULL, updated_at = $2
             FROM o
            WHERE t.id = o.id AND o.status IN (${sqlList(TASK_SOURCES.resetRetryState)})
            RETURNING t.pipeline_execution_id, o.status AS previous_status`,
          [key, ts(now)],
        );
        if (rows.length === 0) return existsOrThrow(c, 'task_executions', 'TaskExecution', key);
        await writeEvents(c, now, [
          {
            pipelineExecutionId: rows[0]!.pipeline_execution_id,
            taskExecutionId: key,
            eventType: 'task_retry_reset',
            eventData: eventData.taskRetryReset(rows[0]!.previous_status),
            runnerId: defaultRunner(c),
          },
        ]);
        return true;
      });
    },
  };
}
