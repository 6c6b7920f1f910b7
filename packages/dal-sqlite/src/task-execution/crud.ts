/** Task rows: create (T1 for a single row), getById, findById, getAllTasksForPipeline. */
import {
  assertTaskStatus,
  check,
  eventData,
  isTerminalTaskStatus,
  NotFoundError,
  TASK_EXECUTIONS,
  ValidationError,
  type NewTaskExecution,
  type TaskExecution,
} from '@cloacina/core';
import { decode, insertRows, U, writeEvents } from '../internal.js';
import type { Scope } from '../scope.js';

export function createCrudMethods(scope: Scope) {
  const { env } = scope;

  const findById = async (rawId: string): Promise<TaskExecution | null> => {
    const id = check.id(rawId);
    const row = await scope.read((q) => q.get('SELECT * FROM task_executions WHERE id = ?', [U(id)]));
    return row ? decode.task(row) : null;
  };

  return {
    async create(input: NewTaskExecution): Promise<TaskExecution> {
      if (input === null || typeof input !== 'object') throw new ValidationError('input must be an object', { field: 'input' });
      const pipelineId = check.id(input.pipelineExecutionId, 'pipelineExecutionId');
      const taskName = check.text(input.taskName, 'taskName');
      const status = input.status === undefined ? 'NotStarted' : assertTaskStatus(input.status);
      const attempt = input.attempt === undefined ? 1 : check.positiveInt(input.attempt, 'attempt');
      const maxAttempts = input.maxAttempts === undefined ? 1 : check.positiveInt(input.maxAttempts, 'maxAttempts');
      const triggerRules = input.triggerRules === undefined ? { type: 'Always' } : check.jsonObject(input.triggerRules, 'triggerRules');
      const taskConfiguration = input.taskConfiguration === undefined ? {} : check.jsonObject(input.taskConfiguration, 'taskConfiguration');
      const running = status === 'Running';
      if (running && (input.claimedBy === undefined || input.claimedBy === null)) {
        throw new ValidationError('claimedBy is required for a Running task', { field: 'claimedBy', reason: 'Required' });
      }
      if (!running && input.claimedBy !== undefined && input.claimedBy !== null) {
        throw new ValidationError('claimedBy is only allowed for a Running task', { field: 'claimedBy', reason: 'NotAllowed' });
      }
      const claimedBy = running ? check.text(input.claimedBy, 'claimedBy') : null;
      return scope.atomic(async (c) => {
        const now = env.now();
        const id = env.newId();
        const [raw] = await insertRows(c, TASK_EXECUTIONS, [
          {
            id,
            pipelineExecutionId: pipelineId,
            taskName,
            status,
            startedAt: running ? now : null,
            completedAt: isTerminalTaskStatus(status) ? now : null,
            attempt,
            maxAttempts,
            errorDetails: null,
            triggerRules,
            taskConfiguration,
            retryAt: null,
            lastError: null,
            recoveryAttempts: 0,
            lastRecoveryAt: null,
            claimedBy,
            heartbeatAt: running ? now : null,
            createdAt: now,
            updatedAt: now,
          },
        ]);
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: pipelineId,
            taskExecutionId: id,
            eventType: 'task_created',
            eventData: eventData.taskCreated(attempt, maxAttempts),
            runnerId: env.runnerId,
          },
        ]);
        return decode.task(raw!);
      });
    },

    async getById(rawId: string): Promise<TaskExecution> {
      const found = await findById(rawId);
      if (!found) throw new NotFoundError('TaskExecution', check.id(rawId));
      return found;
    },

    findById,

    async getAllTasksForPipeline(pipelineId: string): Promise<TaskExecution[]> {
      const pid = check.id(pipelineId, 'pipelineId');
      const rows = await scope.read((q) => q.all('SELECT * FROM task_executions WHERE pipeline_execution_id = ? ORDER BY id', [U(pid)]));
      return rows.map(decode.task);
    },
  };
}
