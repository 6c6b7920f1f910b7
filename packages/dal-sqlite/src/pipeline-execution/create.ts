/** Run creation: createWithTasks (P1, T1) and create (P2). */
import {
  assertPipelineStatus,
  check,
  eventData,
  isTerminalPipelineStatus,
  PIPELINE_EXECUTIONS,
  TASK_EXECUTIONS,
  ValidationError,
  type CreatedPipeline,
  type NewPipelineExecution,
  type NewPipelineWithTasks,
  type NewTaskSpec,
  type PipelineExecution,
  type TaskExecution,
} from '@cloacina/core';
import { insertContext } from '../context.js';
import { decode, insertRows, writeEvents } from '../internal.js';
import type { Scope } from '../scope.js';

interface ValidTask {
  taskName: string;
  maxAttempts: number;
  triggerRules: NewTaskSpec['triggerRules'];
  taskConfiguration: NewTaskSpec['taskConfiguration'];
}

/** Every check happens before the first write, so a ValidationError writes nothing. */
function validateWithTasks(input: NewPipelineWithTasks): { name: string; version: string; tasks: ValidTask[] } {
  if (input === null || typeof input !== 'object') throw new ValidationError('input must be an object', { field: 'input' });
  const name = check.text(input.pipelineName, 'pipelineName');
  const version = check.text(input.pipelineVersion, 'pipelineVersion');
  check.jsonObject(input.inputContext, 'inputContext');
  if (!Array.isArray(input.tasks) || input.tasks.length === 0) {
    throw new ValidationError('tasks must be a non-empty array', { field: 'tasks', reason: 'Empty' });
  }
  const seen = new Set<string>();
  const tasks = input.tasks.map((t, i) => {
    if (t === null || typeof t !== 'object') throw new ValidationError(`tasks[${i}] must be an object`, { field: 'tasks' });
    const taskName = check.text(t.taskName, `tasks[${i}].taskName`);
    if (seen.has(taskName)) {
      throw new ValidationError(`duplicate task name '${taskName}'`, { field: 'tasks', reason: 'DuplicateTaskName' });
    }
    seen.add(taskName);
    return {
      taskName,
      maxAttempts: check.positiveInt(t.maxAttempts, `tasks[${i}].maxAttempts`),
      triggerRules: check.jsonObject(t.triggerRules, `tasks[${i}].triggerRules`),
      taskConfiguration: check.jsonObject(t.taskConfiguration, `tasks[${i}].taskConfiguration`),
    };
  });
  return { name, version, tasks };
}

function newPipelineRecord(id: string, name: string, version: string, status: PipelineExecution['status'], contextId: string | null, now: Date) {
  return {
    id,
    pipelineName: name,
    pipelineVersion: version,
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
  };
}

export function createRunMethods(scope: Scope) {
  const { env } = scope;
  return {
    async createWithTasks(input: NewPipelineWithTasks): Promise<CreatedPipeline> {
      const { name, version, tasks } = validateWithTasks(input);
      return scope.atomic(async (c) => {
        const now = env.now();
        const contextId = await insertContext(c, env.newId, now, input.inputContext);
        const pipelineId = env.newId();
        const [pipelineRaw] = await insertRows(c, PIPELINE_EXECUTIONS, [newPipelineRecord(pipelineId, name, version, 'Pending', contextId, now)]);
        const taskRecords = tasks.map((t) => ({
          id: env.newId(),
          pipelineExecutionId: pipelineId,
          taskName: t.taskName,
          status: 'NotStarted',
          startedAt: null,
          completedAt: null,
          attempt: 1,
          maxAttempts: t.maxAttempts,
          errorDetails: null,
          triggerRules: t.triggerRules,
          taskConfiguration: t.taskConfiguration,
          retryAt: null,
          lastError: null,
          recoveryAttempts: 0,
          lastRecoveryAt: null,
          claimedBy: null,
          heartbeatAt: null,
          createdAt: now,
          updatedAt: now,
        }));
        const taskRaws = await insertRows(c, TASK_EXECUTIONS, taskRecords);
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: pipelineId,
            taskExecutionId: null,
            eventType: 'pipeline_created',
            eventData: eventData.pipelineCreated(name, version, tasks.length),
            runnerId: env.runnerId,
          },
        ]);
        const taskList: TaskExecution[] = taskRaws.map(decode.task).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        return { pipeline: decode.pipeline(pipelineRaw!), tasks: taskList, contextId };
      });
    },

    async create(input: NewPipelineExecution): Promise<PipelineExecution> {
      if (input === null || typeof input !== 'object') throw new ValidationError('input must be an object', { field: 'input' });
      const name = check.text(input.pipelineName, 'pipelineName');
      const version = input.pipelineVersion === undefined ? '1.0' : check.text(input.pipelineVersion, 'pipelineVersion');
      const status = input.status === undefined ? 'Pending' : assertPipelineStatus(input.status);
      const contextId = input.contextId === undefined || input.contextId === null ? null : check.id(input.contextId, 'contextId');
      return scope.atomic(async (c) => {
        const now = env.now();
        const id = env.newId();
        const [raw] = await insertRows(c, PIPELINE_EXECUTIONS, [newPipelineRecord(id, name, version, status, contextId, now)]);
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: id,
            taskExecutionId: null,
            eventType: 'pipeline_created',
            eventData: eventData.pipelineCreated(name, version, 0),
            runnerId: env.runnerId,
          },
        ]);
        return decode.pipeline(raw!);
      });
    },
  };
}
