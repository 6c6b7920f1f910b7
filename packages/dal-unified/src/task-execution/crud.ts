/** Task executions: create, getById, findById, getAllTasksForPipeline (02 §4.3 crud). */
import {
  assertTaskStatus,
  check,
  eventData,
  isPlainObject,
  isTerminalTaskStatus,
  ValidationError,
  type TaskExecutionDal,
} from '@cloacina/core';
import { ev, findById, getById, insertRows, newTaskRecord, selectRows, writeEvents, type Scope } from '../shared/index.js';

export type CrudMethods = Pick<TaskExecutionDal, 'create' | 'getById' | 'findById' | 'getAllTasksForPipeline'>;

export function taskCrud(x: Scope): CrudMethods {
  const { rt } = x;
  const t = rt.t.tasks;

  return {
    async create(input) {
      if (!isPlainObject(input)) throw new ValidationError('input must be an object', { field: 'input' });
      const pipelineExecutionId = check.id(input.pipelineExecutionId, 'pipelineExecutionId');
      const taskName = check.text(input.taskName, 'taskName');
      const status = input.status === undefined ? 'NotStarted' : assertTaskStatus(input.status);
      const attempt = input.attempt === undefined ? 1 : check.positiveInt(input.attempt, 'attempt');
      const maxAttempts = input.maxAttempts === undefined ? 1 : check.positiveInt(input.maxAttempts, 'maxAttempts');
      const triggerRules = input.triggerRules === undefined ? { type: 'Always' } : check.jsonObject(input.triggerRules, 'triggerRules');
      const taskConfiguration = input.taskConfiguration === undefined ? {} : check.jsonObject(input.taskConfiguration, 'taskConfiguration');
      const running = status === 'Running';
      let claimedBy: string | null = null;
      if (running) claimedBy = check.text(input.claimedBy, 'claimedBy');
      else if (input.claimedBy !== undefined && input.claimedBy !== null) {
        throw new ValidationError('claimedBy is only allowed for status Running', { field: 'claimedBy', reason: 'NotAllowed' });
      }
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const id = rt.newId();
        const record = newTaskRecord({
          id,
          pipelineExecutionId,
          taskName,
          status,
          attempt,
          maxAttempts,
          triggerRules,
          taskConfiguration,
          claimedBy,
          now,
          running,
          terminal: isTerminalTaskStatus(status),
        });
        await insertRows(s, t, [record]);
        await writeEvents(s, rt, tx, now, [ev('task_created', pipelineExecutionId, id, eventData.taskCreated(attempt, maxAttempts), rt.runnerId)]);
        return record;
      });
    },

    async getById(id) {
      const key = check.id(id);
      return x.run((s) => getById(s, t, 'TaskExecution', key, t.enc('id', key)));
    },

    async findById(id) {
      const key = check.id(id);
      return x.run((s) => findById(s, t, t.enc('id', key)));
    },

    async getAllTasksForPipeline(pipelineId) {
      const key = check.id(pipelineId, 'pipelineId');
      return x.run((s) => selectRows(s, t, 'WHERE pipeline_execution_id = $1 ORDER BY id', [t.enc('pipelineExecutionId', key)]));
    },
  };
}
