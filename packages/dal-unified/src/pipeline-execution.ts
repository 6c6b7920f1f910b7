/** 02 §4.2 — pipeline executions (state machine 01 §7.1). */
import {
  assertPipelineStatus,
  byId,
  check,
  DAL_TEXTS,
  eventData,
  finalization,
  finalizeRefusal,
  isTerminalPipelineStatus,
  newPipelineInput,
  newRunInput,
  newRunRecords,
  nonEmptyContextRecord,
  NotFoundError,
  optionalId,
  pipelineCancelledEvents,
  pipelineFailedEvents,
  pipelineRecord,
  type PipelineExecutionDal,
  type PipelineStatus,
} from '@cloacina/core';
import {
  deleteById,
  ev,
  eventRows,
  getById,
  findById,
  guardedUpdate,
  insertAll,
  insertRows,
  selectRows,
  updateById,
  writeEvents,
  type Scope,
  type Session,
} from './shared/index.js';

const ACTIVE = "('Pending', 'Running')";
const TERMINAL_TASK = "('Completed', 'Failed', 'Skipped')";

export function pipelineExecutionDal(x: Scope): PipelineExecutionDal {
  const { rt } = x;
  const t = rt.t.pipelines;
  const pid = (id: string) => t.enc('id', id);

  /** Locks the run's task rows in the given statuses (PostgreSQL lock order: tasks before the pipeline). */
  const lockTasks = (s: Session, id: string, statuses: string) =>
    s.exec(`SELECT id FROM task_executions WHERE pipeline_execution_id = $1 AND status IN ${statuses} ORDER BY id${s.d.forUpdate()}`, [pid(id)]);

  /** P5–P7 guard on the pipeline row; null when the run exists but is no longer active. */
  const endPipeline = (s: Session, id: string, set: string, params: unknown[]) =>
    guardedUpdate(s, t, 'PipelineExecution', id, pid(id), set, `status IN ${ACTIVE}`, params, 'id');

  return {
    async createWithTasks(input) {
      const v = newRunInput(input);
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        // Every id is drawn before the first insert, in the order of 02 §1.
        const run = newRunRecords(v, now, () => rt.newId());
        if (run.context) await insertRows(s, rt.t.contexts, [run.context]);
        await insertRows(s, t, [run.pipeline]);
        await insertRows(s, rt.t.tasks, run.tasks);
        const data = eventData.pipelineCreated(v.pipelineName, v.pipelineVersion, run.tasks.length);
        await writeEvents(s, rt, tx, now, [ev('pipeline_created', run.pipeline.id, null, data, rt.runnerId)]);
        return { pipeline: run.pipeline, tasks: [...run.tasks].sort(byId), contextId: run.pipeline.contextId };
      });
    },

    async create(input) {
      const v = newPipelineInput(input);
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const record = pipelineRecord(rt.newId(), v, now);
        await insertRows(s, t, [record]);
        await writeEvents(s, rt, tx, now, [ev('pipeline_created', record.id, null, eventData.pipelineCreated(v.pipelineName, v.pipelineVersion, 0), rt.runnerId)]);
        return record;
      });
    },

    async getById(id) {
      const key = check.id(id);
      return x.run((s) => getById(s, t, 'PipelineExecution', key, pid(key)));
    },

    async findById(id) {
      const key = check.id(id);
      return x.run((s) => findById(s, t, pid(key)));
    },

    async getActiveExecutions() {
      return x.run((s) => selectRows(s, t, `WHERE status IN ${ACTIVE} ORDER BY id`));
    },

    async updateStatus(id, status) {
      const key = check.id(id);
      const to = assertPipelineStatus(status);
      await x.atomic(async (s, tx) => {
        const now = rt.now();
        const cur = await s.first(`SELECT status FROM pipeline_executions WHERE id = $1${s.d.forUpdate()}`, [pid(key)]);
        if (!cur) throw new NotFoundError('PipelineExecution', key);
        const completedAt = isTerminalPipelineStatus(to) ? t.enc('completedAt', now) : null;
        await s.exec('UPDATE pipeline_executions SET status = $2, completed_at = $3, updated_at = $4 WHERE id = $1', [
          pid(key),
          to,
          completedAt,
          t.enc('updatedAt', now),
        ]);
        await writeEvents(s, rt, tx, now, [ev('pipeline_status_changed', key, null, eventData.pipelineStatusChanged(String(cur.status), to), rt.runnerId)]);
      });
    },

    async markCompleted(id) {
      const key = check.id(id);
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const done = await endPipeline(s, key, "status = 'Completed', completed_at = $2, updated_at = $2", [t.enc('completedAt', now)]);
        if (!done) return false;
        await writeEvents(s, rt, tx, now, [ev('pipeline_completed', key, null, null, rt.runnerId)]);
        return true;
      });
    },

    async markFailed(id, reason) {
      const key = check.id(id);
      const why = check.text(reason, 'reason', { min: 0 });
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const ts = t.enc('completedAt', now);
        await lockTasks(s, key, "('NotStarted', 'Ready')");
        if (!(await endPipeline(s, key, "status = 'Failed', completed_at = $2, updated_at = $2, error_details = $3", [ts, why]))) return false;
        const skipReason = DAL_TEXTS.pipelineFailedSkip(why);
        const skipped = await s.rows(
          `UPDATE task_executions SET status = 'Skipped', error_details = $2, completed_at = $3, updated_at = $3
           WHERE pipeline_execution_id = $1 AND status IN ('NotStarted', 'Ready') RETURNING id`,
          [pid(key), skipReason, ts],
        );
        await writeEvents(s, rt, tx, now, pipelineFailedEvents(key, skipped.map((r) => rt.p.uuidOf(r.id)), why, rt.runnerId));
        return true;
      });
    },

    async cancel(id) {
      const key = check.id(id);
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const ts = t.enc('completedAt', now);
        await lockTasks(s, key, "('NotStarted', 'Ready', 'Running')");
        if (!(await endPipeline(s, key, "status = 'Cancelled', completed_at = $2, updated_at = $2", [ts]))) return false;
        const skipped = await s.rows(
          `UPDATE task_executions SET status = 'Skipped', error_details = $2, completed_at = $3, updated_at = $3
           WHERE pipeline_execution_id = $1 AND status IN ('NotStarted', 'Ready') RETURNING id`,
          [pid(key), DAL_TEXTS.pipelineCancelledSkip, ts],
        );
        const revoked = await s.rows(
          `UPDATE task_executions SET status = 'Failed', error_details = $2, last_error = $2, completed_at = $3, updated_at = $3,
             claimed_by = NULL, heartbeat_at = NULL
           WHERE pipeline_execution_id = $1 AND status = 'Running' RETURNING id, attempt`,
          [pid(key), DAL_TEXTS.cancelledRunning, ts],
        );
        const revokedTasks = revoked.map((r) => ({ id: rt.p.uuidOf(r.id), attempt: Number(r.attempt) }));
        await writeEvents(s, rt, tx, now, pipelineCancelledEvents(key, skipped.map((r) => rt.p.uuidOf(r.id)), revokedTasks, rt.runnerId));
        return true;
      });
    },

    async finalize(id, finalContext) {
      const key = check.id(id);
      check.jsonObject(finalContext, 'finalContext');
      return x.atomic(async (s, tx) => {
        const count = (status: string) => `(SELECT count(*) FROM task_executions t WHERE t.pipeline_execution_id = p.id AND t.status ${status})`;
        const row = await s.first(
          `SELECT p.status, ${count("= 'Completed'")} AS completed, ${count("= 'Failed'")} AS failed,
             ${count("= 'Skipped'")} AS skipped, ${count(`NOT IN ${TERMINAL_TASK}`)} AS remaining
           FROM pipeline_executions p WHERE p.id = $1${s.d.forUpdate('p')}`,
          [pid(key)],
        );
        if (!row) throw new NotFoundError('PipelineExecution', key);
        const refused = finalizeRefusal(row.status as PipelineStatus, Number(row.remaining));
        if (refused) return refused;
        const now = rt.now();
        const context = nonEmptyContextRecord(finalContext, now, () => rt.newId());
        const contextId = context?.id ?? null;
        const f = finalization({ completed: Number(row.completed), failed: Number(row.failed), skipped: Number(row.skipped) }, contextId);
        if (s.d.backend === 'postgres') {
          // Context, P4/P5 and event as one statement. The run row is locked (FOR UPDATE above)
          // by this transaction, so the UPDATE cannot miss it.
          const events = eventRows(rt, tx, now, [ev(f.eventType, key, null, f.eventData, rt.runnerId)]);
          await insertAll(s, [
            { t: rt.t.contexts, records: context ? [context] : [] },
            {
              sql: 'UPDATE pipeline_executions SET status = $2, final_context_id = $3, completed_at = $4, updated_at = $4, error_details = COALESCE($5, error_details) WHERE id = $1',
              params: [pid(key), f.status, t.enc('finalContextId', contextId), t.enc('completedAt', now), f.errorDetails],
            },
            { t: rt.t.executionEvents, records: events },
          ]);
          return { outcome: 'finalized' as const, status: f.status, errorDetails: f.errorDetails, contextId };
        }
        if (context) await insertRows(s, rt.t.contexts, [context]);
        // A completed run keeps whatever error_details it had (P4 only writes the failure summary).
        await updateById(s, t, 'PipelineExecution', key, pid(key), 'status = $2, final_context_id = $3, completed_at = $4, updated_at = $4, error_details = COALESCE($5, error_details)', [
          f.status,
          t.enc('finalContextId', contextId),
          t.enc('completedAt', now),
          f.errorDetails,
        ]);
        await writeEvents(s, rt, tx, now, [ev(f.eventType, key, null, f.eventData, rt.runnerId)]);
        return { outcome: 'finalized' as const, status: f.status, errorDetails: f.errorDetails, contextId };
      });
    },

    async getLastVersion(pipelineName) {
      const name = check.text(pipelineName, 'pipelineName', { min: 0 });
      return x.run(async (s) => {
        const row = await s.first(
          'SELECT pipeline_version FROM pipeline_executions WHERE pipeline_name = $1 ORDER BY started_at DESC, id DESC LIMIT 1',
          [name],
        );
        return row ? String(row.pipeline_version) : null;
      });
    },

    async incrementRecoveryAttempts(id) {
      const key = check.id(id);
      await x.run(async (s) => {
        const now = t.enc('updatedAt', rt.now());
        await updateById(s, t, 'PipelineExecution', key, pid(key), 'recovery_attempts = recovery_attempts + 1, last_recovery_at = $2, updated_at = $2', [now]);
      });
    },

    async updateFinalContext(id, contextId) {
      const key = check.id(id);
      const ctx = optionalId(contextId, 'contextId');
      await x.run(async (s) => {
        const now = t.enc('updatedAt', rt.now());
        await updateById(s, t, 'PipelineExecution', key, pid(key), 'final_context_id = $2, updated_at = $3', [t.enc('finalContextId', ctx), now]);
      });
    },

    async listRecent(limit) {
      check.limit(limit, 'limit');
      if (limit === 0) {
        x.guard();
        return [];
      }
      // Raw SQL rather than the query builder: this list is polled by dashboards and the runner.
      return x.run((s) => selectRows(s, t, 'ORDER BY started_at DESC, id DESC LIMIT $1', [limit]));
    },

    async delete(id) {
      const key = check.id(id);
      return x.run((s) => deleteById(s, t, pid(key)));
    },
  };
}

