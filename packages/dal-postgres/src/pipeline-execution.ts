/** `pipelineExecution` module (02 §4.2): creation, reads and bookkeeping updates. */
import {
  assertPipelineStatus,
  check,
  eventData,
  isTerminalPipelineStatus,
  NotFoundError,
  PIPELINE_EXECUTIONS,
  TASK_EXECUTIONS,
  ValidationError,
  type NewPipelineWithTasks,
  type NewTaskSpec,
  type PipelineExecutionDal,
} from '@cloacina/core';
import { storeContext } from './context.js';
import type { Exec } from './executor.js';
import { createPipelineTransitions } from './pipeline-transitions.js';
import { byId, decode, defaultRunner, insertRows, ts, writeEvents } from './shared.js';
import { taskRecord } from './task-execution/records.js';

function objectArg(v: unknown, field: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(`${field} must be an object`, { field });
  return v as Record<string, unknown>;
}

/** Full validation of a new run before anything is written (02 §1, "Typed errors write nothing"). */
function validateNewRun(input: unknown): NewPipelineWithTasks {
  const i = objectArg(input, 'input');
  const pipelineName = check.text(i.pipelineName, 'pipelineName');
  const pipelineVersion = check.text(i.pipelineVersion, 'pipelineVersion');
  const inputContext = check.jsonObject(i.inputContext, 'inputContext');
  if (!Array.isArray(i.tasks) || i.tasks.length === 0) {
    throw new ValidationError('tasks must be a non-empty array', { field: 'tasks', reason: 'NoTasks' });
  }
  const seen = new Set<string>();
  const tasks: NewTaskSpec[] = i.tasks.map((raw, n) => {
    const t = objectArg(raw, `tasks[${n}]`);
    const taskName = check.text(t.taskName, `tasks[${n}].taskName`);
    if (seen.has(taskName)) {
      throw new ValidationError(`Duplicate task name: ${taskName}`, { field: `tasks[${n}].taskName`, reason: 'DuplicateTaskName' });
    }
    seen.add(taskName);
    return {
      taskName,
      maxAttempts: check.positiveInt(t.maxAttempts, `tasks[${n}].maxAttempts`),
      triggerRules: check.jsonObject(t.triggerRules, `tasks[${n}].triggerRules`),
      taskConfiguration: check.jsonObject(t.taskConfiguration, `tasks[${n}].taskConfiguration`),
    };
  });
  return { pipelineName, pipelineVersion, inputContext, tasks };
}

export function createPipelineExecutionDal(e: Exec): PipelineExecutionDal {
  const findById = async (id: string) => {
    const rows = await e.rows('SELECT * FROM pipeline_executions WHERE id = $1', [check.id(id)]);
    return rows.length > 0 ? decode.pipeline(rows[0]!) : null;
  };

  return {
    ...createPipelineTransitions(e),

    async createWithTasks(input) {
      const v = validateNewRun(input);
      const now = e.now();
      return e.tx(async (c) => {
        const contextId = await storeContext(c, v.inputContext, now);
        const pipelineId = c.newId();
        const [pipelineRow] = await insertRows(c, PIPELINE_EXECUTIONS, [
          {
            id: pipelineId,
            pipelineName: v.pipelineName,
            pipelineVersion: v.pipelineVersion,
            status: 'Pending',
            contextId,
            finalContextId: null,
            startedAt: now,
            completedAt: null,
            errorDetails: null,
            recoveryAttempts: 0,
            lastRecoveryAt: null,
            createdAt: now,
            updatedAt: now,
          },
        ]);
        // Ids drawn in the given order, so id order = given order (= topological order).
        const records = v.tasks.map((t) =>
          taskRecord(
            {
              id: c.newId(),
              pipelineExecutionId: pipelineId,
              taskName: t.taskName,
              status: 'NotStarted',
              attempt: 1,
              maxAttempts: t.maxAttempts,
              triggerRules: t.triggerRules,
              taskConfiguration: t.taskConfiguration,
              claimedBy: null,
            },
            now,
          ),
        );
        const taskRows = await insertRows(c, TASK_EXECUTIONS, records);
        await writeEvents(c, now, [
          {
            pipelineExecutionId: pipelineId,
            taskExecutionId: null,
            eventType: 'pipeline_created',
            eventData: eventData.pipelineCreated(v.pipelineName, v.pipelineVersion, v.tasks.length),
            runnerId: defaultRunner(c),
          },
        ]);
        const tasks = taskRows.map(decode.task).sort(byId);
        return { pipeline: decode.pipeline(pipelineRow!), tasks, contextId };
      });
    },

    async create(input) {
      const i = objectArg(input, 'input');
      const pipelineName = check.text(i.pipelineName, 'pipelineName');
      const pipelineVersion = i.pipelineVersion === undefined ? '1.0' : check.text(i.pipelineVersion, 'pipelineVersion');
      const status = i.status === undefined ? 'Pending' : assertPipelineStatus(i.status);
      const contextId = i.contextId === undefined || i.contextId === null ? null : check.id(i.contextId, 'contextId');
      const now = e.now();
      return e.tx(async (c) => {
        const [row] = await insertRows(c, PIPELINE_EXECUTIONS, [
          {
            id: c.newId(),
            pipelineName,
            pipelineVersion,
            status,
            contextId,
            finalContextId: null,
            startedAt: now,
            completedAt: isTerminalPipelineStatus(status) ? now : null,
            errorDetails: null,
            recoveryAttempts: 0,
            lastRecoveryAt: null,
            createdAt: now,
            updatedAt: now,
          },
        ]);
        const pipeline = decode.pipeline(row!);
        await writeEvents(c, now, [
          {
            pipelineExecutionId: pipeline.id,
            taskExecutionId: null,
            eventType: 'pipeline_created',
            eventData: eventData.pipelineCreated(pipelineName, pipelineVersion, 0),
            runnerId: defaultRunner(c),
          },
        ]);
        return pipeline;
      });
    },

    async getById(id) {
      const found = await findById(id);
      if (!found) throw new NotFoundError('PipelineExecution', check.id(id));
      return found;
    },

    findById,

    async getActiveExecutions() {
      const rows = await e.rows("SELECT * FROM pipeline_executions WHERE status IN ('Pending', 'Running') ORDER BY id");
      return rows.map(decode.pipeline);
    },

    async getLastVersion(pipelineName) {
      const name = check.text(pipelineName, 'pipelineName', { min: 0 });
      const rows = await e.rows<{ pipeline_version: string }>(
        'SELECT pipeline_version FROM pipeline_executions WHERE pipeline_name = $1 ORDER BY started_at DESC, id DESC LIMIT 1',
        [name],
      );
      return rows.length > 0 ? rows[0]!.pipeline_version : null;
    },

    async incrementRecoveryAttempts(id) {
      const key = check.id(id);
      const now = ts(e.now());
      const r = await e.query(
        'UPDATE pipeline_executions SET recovery_attempts = recovery_attempts + 1, last_recovery_at = $2, updated_at = $2 WHERE id = $1',
        [key, now],
      );
      if (r.rowCount === 0) throw new NotFoundError('PipelineExecution', key);
    },

    async updateFinalContext(id, contextId) {
      const key = check.id(id);
      const ctx = contextId === null || contextId === undefined ? null : check.id(contextId, 'contextId');
      const now = ts(e.now());
      const r = await e.query('UPDATE pipeline_executions SET final_context_id = $2, updated_at = $3 WHERE id = $1', [key, ctx, now]);
      if (r.rowCount === 0) throw new NotFoundError('PipelineExecution', key);
    },

    async listRecent(limit) {
      const rows = await e.rows('SELECT * FROM pipeline_executions ORDER BY started_at DESC, id DESC LIMIT $1', [check.limit(limit)]);
      return rows.map(decode.pipeline);
    },

    async delete(id) {
      const r = await e.query('DELETE FROM pipeline_executions WHERE id = $1', [check.id(id)]);
      return r.rowCount > 0;
    },
  };
}
