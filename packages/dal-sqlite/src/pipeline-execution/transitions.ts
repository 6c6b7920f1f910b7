/** Pipeline transitions P4–P8 (01 §7.1), each with its events in one transaction. */
import {
  assertPipelineStatus,
  check,
  DAL_TEXTS,
  eventData,
  finalization,
  isTerminalPipelineStatus,
  NotFoundError,
  pipelineCancelledEvents,
  pipelineFailedEvents,
  type FinalizeResult,
  type JsonObject,
  type PipelineStatus,
} from '@cloacina/core';
import { insertContext } from '../context.js';
import { bytesId, guardMiss, TS, U, writeEvents } from '../internal.js';
import type { Scope } from '../scope.js';

const ACTIVE = "('Pending', 'Running')";

export function createTransitionMethods(scope: Scope) {
  const { env } = scope;

  return {
    async updateStatus(rawId: string, status: PipelineStatus): Promise<void> {
      const id = check.id(rawId);
      const to = assertPipelineStatus(status);
      await scope.atomic(async (c) => {
        const now = env.now();
        const row = await c.get<{ status: string }>('SELECT status FROM pipeline_executions WHERE id = ?', [U(id)]);
        if (!row) throw new NotFoundError('PipelineExecution', id);
        await c.run('UPDATE pipeline_executions SET status = ?, completed_at = ?, updated_at = ? WHERE id = ?', [
          to,
          isTerminalPipelineStatus(to) ? TS(now) : null,
          TS(now),
          U(id),
        ]);
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: id,
            taskExecutionId: null,
            eventType: 'pipeline_status_changed',
            eventData: eventData.pipelineStatusChanged(row.status, to),
            runnerId: env.runnerId,
          },
        ]);
      });
    },

    async markCompleted(rawId: string): Promise<boolean> {
      const id = check.id(rawId);
      return scope.atomic(async (c) => {
        const now = env.now();
        const rows = await c.all(
          `UPDATE pipeline_executions SET status = 'Completed', completed_at = ?, updated_at = ?
            WHERE id = ? AND status IN ${ACTIVE} RETURNING id`,
          [TS(now), TS(now), U(id)],
        );
        if (rows.length === 0) return guardMiss(c, 'pipeline_executions', 'PipelineExecution', id);
        await writeEvents(c, env, now, [
          { pipelineExecutionId: id, taskExecutionId: null, eventType: 'pipeline_completed', eventData: null, runnerId: env.runnerId },
        ]);
        return true;
      });
    },

    async markFailed(rawId: string, reason: string): Promise<boolean> {
      const id = check.id(rawId);
      const why = check.text(reason, 'reason', { min: 0 });
      return scope.atomic(async (c) => {
        const now = env.now();
        const rows = await c.all(
          `UPDATE pipeline_executions SET status = 'Failed', completed_at = ?, error_details = ?, updated_at = ?
            WHERE id = ? AND status IN ${ACTIVE} RETURNING id`,
          [TS(now), why, TS(now), U(id)],
        );
        if (rows.length === 0) return guardMiss(c, 'pipeline_executions', 'PipelineExecution', id);
        const skipText = DAL_TEXTS.pipelineFailedSkip(why);
        const skipped = await c.all<{ id: Buffer }>(
          `UPDATE task_executions SET status = 'Skipped', error_details = ?, completed_at = ?, updated_at = ?
            WHERE pipeline_execution_id = ? AND status IN ('NotStarted', 'Ready') RETURNING id`,
          [skipText, TS(now), TS(now), U(id)],
        );
        await writeEvents(c, env, now, pipelineFailedEvents(id, skipped.map((r) => bytesId(r.id)), why, env.runnerId));
        return true;
      });
    },

    async cancel(rawId: string): Promise<boolean> {
      const id = check.id(rawId);
      return scope.atomic(async (c) => {
        const now = env.now();
        const rows = await c.all(
          `UPDATE pipeline_executions SET status = 'Cancelled', completed_at = ?, updated_at = ?
            WHERE id = ? AND status IN ${ACTIVE} RETURNING id`,
          [TS(now), TS(now), U(id)],
        );
        if (rows.length === 0) return guardMiss(c, 'pipeline_executions', 'PipelineExecution', id);
        const skipText = DAL_TEXTS.pipelineCancelledSkip;
        const skipped = await c.all<{ id: Buffer }>(
          `UPDATE task_executions SET status = 'Skipped', error_details = ?, completed_at = ?, updated_at = ?
            WHERE pipeline_execution_id = ? AND status IN ('NotStarted', 'Ready') RETURNING id`,
          [skipText, TS(now), TS(now), U(id)],
        );
        const revokeText = DAL_TEXTS.cancelledRunning;
        const revoked = await c.all<{ id: Buffer; attempt: number }>(
          `UPDATE task_executions
              SET status = 'Failed', completed_at = ?, error_details = ?, last_error = ?,
                  claimed_by = NULL, heartbeat_at = NULL, updated_at = ?
            WHERE pipeline_execution_id = ? AND status = 'Running' RETURNING id, attempt`,
          [TS(now), revokeText, revokeText, TS(now), U(id)],
        );
        const revokedTasks = revoked.map((r) => ({ id: bytesId(r.id), attempt: r.attempt }));
        await writeEvents(c, env, now, pipelineCancelledEvents(id, skipped.map((r) => bytesId(r.id)), revokedTasks, env.runnerId));
        return true;
      });
    },

    async finalize(rawId: string, finalContext: JsonObject): Promise<FinalizeResult> {
      const id = check.id(rawId);
      const value = check.jsonObject(finalContext, 'finalContext');
      return scope.atomic(async (c): Promise<FinalizeResult> => {
        const now = env.now();
        const row = await c.get<{ status: PipelineStatus }>('SELECT status FROM pipeline_executions WHERE id = ?', [U(id)]);
        if (!row) throw new NotFoundError('PipelineExecution', id);
        // A terminal run answers before the task counts are read.
        if (isTerminalPipelineStatus(row.status)) return { outcome: 'already_terminal', status: row.status };
        const counts = await c.all<{ status: string; n: number }>(
          'SELECT status, count(*) AS n FROM task_executions WHERE pipeline_execution_id = ? GROUP BY status',
          [U(id)],
        );
        const n = (s: string) => counts.find((r) => r.status === s)?.n ?? 0;
        const completed = n('Completed');
        const failed = n('Failed');
        const skipped = n('Skipped');
        const remaining = counts.reduce((sum, r) => sum + r.n, 0) - completed - failed - skipped;
        if (remaining > 0) return { outcome: 'not_finished', remaining };
        const contextId = await insertContext(c, env.newId, now, value);
        const f = finalization({ completed, failed, skipped }, contextId);
        const setError = f.errorDetails !== null ? ', error_details = ?' : '';
        await c.run(
          `UPDATE pipeline_executions SET status = ?, final_context_id = ?, completed_at = ?, updated_at = ?${setError}
            WHERE id = ? AND status IN ${ACTIVE}`,
          [f.status, contextId === null ? null : U(contextId), TS(now), TS(now), ...(f.errorDetails !== null ? [f.errorDetails] : []), U(id)],
        );
        await writeEvents(c, env, now, [
          { pipelineExecutionId: id, taskExecutionId: null, eventType: f.eventType, eventData: f.eventData, runnerId: env.runnerId },
        ]);
        return { outcome: 'finalized', status: f.status, errorDetails: f.errorDetails, contextId };
      });
    },
  };
}
