/**
 * Pipeline state transitions P4–P8 (01 §7.1). Writes that touch task rows and their
 * pipeline row lock the task rows first (id order), then the pipeline row (02 §2.4).
 */
import {
  assertPipelineStatus,
  check,
  DAL_TEXTS,
  eventData,
  finalization,
  finalizeRefusal,
  isTerminalPipelineStatus,
  NotFoundError,
  PIPELINE_ACTIVE_SOURCES,
  pipelineCancelledEvents,
  pipelineFailedEvents,
  TASK_SOURCES,
  TERMINAL_TASK_STATUSES,
  type FinalizeResult,
  type PipelineExecutionDal,
  type PipelineStatus,
  type TaskStatus,
} from '@cloacina/core';
import { storeContext } from './context.js';
import type { Exec } from './executor.js';
import { defaultRunner, existsOrThrow, sqlList, ts, writeEvents } from './shared.js';

type Transitions = Pick<PipelineExecutionDal, 'updateStatus' | 'markCompleted' | 'markFailed' | 'cancel' | 'finalize'>;

const ACTIVE = sqlList(PIPELINE_ACTIVE_SOURCES);
const SKIPPABLE = sqlList(TASK_SOURCES.skipOnPipelineEnd);

/** Locks every task row of the run in id order (the first lock of any run-wide write). */
async function lockTasks(c: Exec, pipelineId: string): Promise<{ id: string; status: TaskStatus }[]> {
  return c.rows('SELECT id, status FROM task_executions WHERE pipeline_execution_id = $1 ORDER BY id FOR UPDATE', [pipelineId]);
}

/** Moves the run's NotStarted/Ready tasks to Skipped (T4); returns their ids. */
async function skipOpenTasks(c: Exec, pipelineId: string, reason: string, now: string): Promise<string[]> {
  const rows = await c.rows<{ id: string }>(
    `UPDATE task_executions SET status = 'Skipped', error_details = $2, completed_at = $3, updated_at = $3
      WHERE pipeline_execution_id = $1 AND status IN (${SKIPPABLE}) RETURNING id`,
    [pipelineId, reason, now],
  );
  return rows.map((r) => r.id);
}

/** Guarded move of an active run to a terminal status; false when it is no longer active. */
async function endPipeline(c: Exec, id: string, status: PipelineStatus, now: string, errorDetails?: string): Promise<boolean> {
  const params: unknown[] = [id, status, now];
  let extra = '';
  if (errorDetails !== undefined) {
    params.push(errorDetails);
    extra = ', error_details = $4';
  }
  const r = await c.query(
    `UPDATE pipeline_executions SET status = $2, completed_at = $3, updated_at = $3${extra}
      WHERE id = $1 AND status IN (${ACTIVE})`,
    params,
  );
  if (r.rowCount > 0) return true;
  return existsOrThrow(c, 'pipeline_executions', 'PipelineExecution', id);
}

export function createPipelineTransitions(e: Exec): Transitions {
  return {
    async updateStatus(id, status) {
      const key = check.id(id);
      const to = assertPipelineStatus(status);
      const now = e.now();
      await e.tx(async (c) => {
        const cur = await c.rows<{ status: PipelineStatus }>('SELECT status FROM pipeline_executions WHERE id = $1 FOR UPDATE', [key]);
        if (cur.length === 0) throw new NotFoundError('PipelineExecution', key);
        // completed_at follows the status so the table CHECK holds (01 §7.1, P8).
        await c.query('UPDATE pipeline_executions SET status = $2, completed_at = $3, updated_at = $4 WHERE id = $1', [
          key,
          to,
          isTerminalPipelineStatus(to) ? ts(now) : null,
          ts(now),
        ]);
        await writeEvents(c, now, [
          {
            pipelineExecutionId: key,
            taskExecutionId: null,
            eventType: 'pipeline_status_changed',
            eventData: eventData.pipelineStatusChanged(cur[0]!.status, to),
            runnerId: defaultRunner(c),
          },
        ]);
      });
    },

    async markCompleted(id) {
      const key = check.id(id);
      const now = e.now();
      return e.tx(async (c) => {
        if (!(await endPipeline(c, key, 'Completed', ts(now)))) return false;
        await writeEvents(c, now, [
          { pipelineExecutionId: key, taskExecutionId: null, eventType: 'pipeline_completed', eventData: null, runnerId: defaultRunner(c) },
        ]);
        return true;
      });
    },

    async markFailed(id, reason) {
      const key = check.id(id);
      const why = check.text(reason, 'reason', { min: 0 });
      const now = e.now();
      return e.tx(async (c) => {
        await lockTasks(c, key);
        if (!(await endPipeline(c, key, 'Failed', ts(now), why))) return false;
        const skipped = await skipOpenTasks(c, key, DAL_TEXTS.pipelineFailedSkip(why), ts(now));
        await writeEvents(c, now, pipelineFailedEvents(key, skipped, why, defaultRunner(c)));
        return true;
      });
    },

    async cancel(id) {
      const key = check.id(id);
      const now = e.now();
      return e.tx(async (c) => {
        await lockTasks(c, key);
        if (!(await endPipeline(c, key, 'Cancelled', ts(now)))) return false;
        const skipped = await skipOpenTasks(c, key, DAL_TEXTS.pipelineCancelledSkip, ts(now));
        // T9: revoke running claims; the executor's next fenced write gets ClaimLostError.
        const revoked = await c.rows<{ id: string; attempt: number }>(
          `UPDATE task_executions SET status = 'Failed', completed_at = $2, error_details = $3, last_error = $3,
                  claimed_by = NULL, heartbeat_at = NULL, updated_at = $2
            WHERE pipeline_execution_id = $1 AND status = 'Running' RETURNING id, attempt`,
          [key, ts(now), DAL_TEXTS.cancelledRunning],
        );
        await writeEvents(c, now, pipelineCancelledEvents(key, skipped, revoked, defaultRunner(c)));
        return true;
      });
    },

    async finalize(id, finalContext): Promise<FinalizeResult> {
      const key = check.id(id);
      check.jsonObject(finalContext, 'finalContext');
      const now = e.now();
      return e.tx(async (c): Promise<FinalizeResult> => {
        const tasks = await lockTasks(c, key);
        const cur = await c.rows<{ status: PipelineStatus }>('SELECT status FROM pipeline_executions WHERE id = $1 FOR UPDATE', [key]);
        if (cur.length === 0) throw new NotFoundError('PipelineExecution', key);
        const terminal = TERMINAL_TASK_STATUSES as readonly string[];
        const refused = finalizeRefusal(cur[0]!.status, tasks.filter((t) => !terminal.includes(t.status)).length);
        if (refused) return refused;
        const count = (s: TaskStatus) => tasks.filter((t) => t.status === s).length;
        const contextId = await storeContext(c, finalContext, now);
        const f = finalization({ completed: count('Completed'), failed: count('Failed'), skipped: count('Skipped') }, contextId);
        await c.query(
          // error_details is written only for a failed run (a completed one keeps its value).
          `UPDATE pipeline_executions SET status = $2, final_context_id = $3, completed_at = $4, updated_at = $4,
                  error_details = COALESCE($5::text, error_details)
            WHERE id = $1`,
          [key, f.status, contextId, ts(now), f.errorDetails],
        );
        await writeEvents(c, now, [
          { pipelineExecutionId: key, taskExecutionId: null, eventType: f.eventType, eventData: f.eventData, runnerId: defaultRunner(c) },
        ]);
        return { outcome: 'finalized', status: f.status, errorDetails: f.errorDetails, contextId };
      });
    },
  };
}
