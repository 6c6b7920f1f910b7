/** 02 §4.2 — pipeline executions (state machine 01 §7.1). */
import {
  assertPipelineStatus,
  check,
  cloneJson,
  DAL_TEXTS,
  eventData,
  isPlainObject,
  isTerminalPipelineStatus,
  NotFoundError,
  ValidationError,
  type NewPipelineWithTasks,
  type PipelineExecutionDal,
  type PipelineStatus,
} from '@cloacina/core';
import {
  deleteById,
  ev,
  getById,
  findById,
  guardedUpdate,
  insertRows,
  newPipelineRecord,
  newTaskRecord,
  selectRows,
  updateById,
  writeEvents,
  type Scope,
  type Session,
} from './shared/index.js';

const ACTIVE = "('Pending', 'Running')";
const TERMINAL_TASK = "('Completed', 'Failed', 'Skipped')";

function validateRun(input: NewPipelineWithTasks) {
  if (!isPlainObject(input)) throw new ValidationError('input must be an object', { field: 'input' });
  const pipelineName = check.text(input.pipelineName, 'pipelineName');
  const pipelineVersion = check.text(input.pipelineVersion, 'pipelineVersion');
  const inputContext = check.jsonObject(input.inputContext, 'inputContext');
  if (!Array.isArray(input.tasks) || input.tasks.length === 0) {
    throw new ValidationError('tasks must be a non-empty array', { field: 'tasks', reason: 'Empty' });
  }
  const seen = new Set<string>();
  const tasks = input.tasks.map((t, i) => {
    if (!isPlainObject(t)) throw new ValidationError(`tasks[${i}] must be an object`, { field: `tasks[${i}]` });
    const taskName = check.text(t.taskName, `tasks[${i}].taskName`);
    if (seen.has(taskName)) throw new ValidationError(`duplicate task name '${taskName}'`, { field: 'tasks', reason: 'DuplicateTaskName' });
    seen.add(taskName);
    return {
      taskName,
      maxAttempts: check.positiveInt(t.maxAttempts, `tasks[${i}].maxAttempts`),
      triggerRules: check.jsonObject(t.triggerRules, `tasks[${i}].triggerRules`),
      taskConfiguration: check.jsonObject(t.taskConfiguration, `tasks[${i}].taskConfiguration`),
    };
  });
  return { pipelineName, pipelineVersion, inputContext, tasks };
}

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
      const v = validateRun(input);
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const contextId = Object.keys(v.inputContext).length > 0 ? rt.newId() : null;
        const id = rt.newId();
        const taskIds = v.tasks.map(() => rt.newId());
        if (contextId) {
          await insertRows(s, rt.t.contexts, [{ id: contextId, value: v.inputContext, createdAt: now, updatedAt: now }]);
        }
        const pipeline = newPipelineRecord({ id, pipelineName: v.pipelineName, pipelineVersion: v.pipelineVersion, status: 'Pending', contextId, completedAt: null, now });
        await insertRows(s, t, [pipeline]);
        const tasks = v.tasks.map((spec, i) =>
          newTaskRecord({ id: taskIds[i]!, pipelineExecutionId: id, ...spec, status: 'NotStarted', attempt: 1, claimedBy: null, now, running: false, terminal: false }),
        );
        await insertRows(s, rt.t.tasks, tasks);
        await writeEvents(s, rt, tx, now, [ev('pipeline_created', id, null, eventData.pipelineCreated(v.pipelineName, v.pipelineVersion, tasks.length), rt.runnerId)]);
        tasks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        return { pipeline, tasks, contextId };
      });
    },

    async create(input) {
      if (!isPlainObject(input)) throw new ValidationError('input must be an object', { field: 'input' });
      const pipelineName = check.text(input.pipelineName, 'pipelineName');
      const pipelineVersion = input.pipelineVersion === undefined ? '1.0' : check.text(input.pipelineVersion, 'pipelineVersion');
      const status = input.status === undefined ? 'Pending' : assertPipelineStatus(input.status);
      const contextId = input.contextId === undefined || input.contextId === null ? null : check.id(input.contextId, 'contextId');
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const id = rt.newId();
        const record = newPipelineRecord({ id, pipelineName, pipelineVersion, status, contextId, completedAt: isTerminalPipelineStatus(status) ? now : null, now });
        await insertRows(s, t, [record]);
        await writeEvents(s, rt, tx, now, [ev('pipeline_created', id, null, eventData.pipelineCreated(pipelineName, pipelineVersion, 0), rt.runnerId)]);
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
        await writeEvents(s, rt, tx, now, [
          ...skipped.map((r) => ev('task_skipped', key, rt.p.uuidOf(r.id), eventData.taskSkipped(skipReason), rt.runnerId)),
          ev('pipeline_failed', key, null, eventData.pipelineFailed(why), rt.runnerId),
        ]);
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
        await writeEvents(s, rt, tx, now, [
          ...skipped.map((r) => ev('task_skipped', key, rt.p.uuidOf(r.id), eventData.taskSkipped(DAL_TEXTS.pipelineCancelledSkip), rt.runnerId)),
          ...revoked.map((r) => ev('task_failed', key, rt.p.uuidOf(r.id), eventData.taskFailed(Number(r.attempt), DAL_TEXTS.cancelledRunning), rt.runnerId)),
          ev('pipeline_cancelled', key, null, eventData.pipelineCancelled(skipped.length, revoked.length), rt.runnerId),
        ]);
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
        const current = row.status as PipelineStatus;
        if (isTerminalPipelineStatus(current)) return { outcome: 'already_terminal' as const, status: current };
        const remaining = Number(row.remaining);
        if (remaining > 0) return { outcome: 'not_finished' as const, remaining };
        const [completed, failed, skipped] = [Number(row.completed), Number(row.failed), Number(row.skipped)];
        const now = rt.now();
        const contextId = Object.keys(finalContext).length > 0 ? rt.newId() : null;
        if (contextId) {
          await insertRows(s, rt.t.contexts, [{ id: contextId, value: cloneJson(finalContext), createdAt: now, updatedAt: now }]);
        }
        const status = failed > 0 ? ('Failed' as const) : ('Completed' as const);
        const errorDetails = failed > 0 ? DAL_TEXTS.finalizeSummary(failed, completed, skipped) : null;
        await updateById(s, t, 'PipelineExecution', key, pid(key), 'status = $2, final_context_id = $3, completed_at = $4, updated_at = $4, error_details = $5', [
          status,
          t.enc('finalContextId', contextId),
          t.enc('completedAt', now),
          errorDetails,
        ]);
        const data = eventData.pipelineFinalized({ completed, failed, skipped, contextId, ...(errorDetails ? { reason: errorDetails } : {}) });
        await writeEvents(s, rt, tx, now, [ev(status === 'Failed' ? 'pipeline_failed' : 'pipeline_completed', key, null, data, rt.runnerId)]);
        return { outcome: 'finalized' as const, status, errorDetails, contextId };
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
      const ctx = contextId === null ? null : check.id(contextId, 'contextId');
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

