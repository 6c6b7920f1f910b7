/** Task executions: create, getById, findById, getAllTasksForPipeline (02 §4.3 crud). */
import { assertTaskStatus, check, eventData, NotFoundError, TASK_EXECUTIONS, ValidationError, type TaskExecutionDal } from '@cloacina/core';
import type { Exec } from '../executor.js';
import { decode, defaultRunner, insertRows, writeEvents } from '../shared.js';
import { taskRecord } from './records.js';

type Crud = Pick<TaskExecutionDal, 'create' | 'getById' | 'findById' | 'getAllTasksForPipeline'>;

export function createTaskCrud(e: Exec): Crud {
  const findById = async (id: string) => {
    const rows = await e.rows('SELECT * FROM task_executions WHERE id = $1', [check.id(id)]);
    return rows.length > 0 ? decode.task(rows[0]!) : null;
  };

  return {
    async create(input) {
      if (input === null || typeof input !== 'object') throw new ValidationError('input must be an object', { field: 'input' });
      const pipelineExecutionId = check.id(input.pipelineExecutionId, 'pipelineExecutionId');
      const taskName = check.text(input.taskName, 'taskName');
      const status = input.status === undefined ? 'NotStarted' : assertTaskStatus(input.status);
      const attempt = input.attempt === undefined ? 1 : check.positiveInt(input.attempt, 'attempt');
      const maxAttempts = input.maxAttempts === undefined ? 1 : check.positiveInt(input.maxAttempts, 'maxAttempts');
      const triggerRules = input.triggerRules === undefined ? { type: 'Always' } : check.jsonObject(input.triggerRules, 'triggerRules');
      const taskConfiguration = input.taskConfiguration === undefined ? {} : check.jsonObject(input.taskConfiguration, 'taskConfiguration');
      let claimedBy: string | null = null;
      if (status === 'Running') {
        claimedBy = check.text(input.claimedBy, 'claimedBy');
      } else if (input.claimedBy !== undefined && input.claimedBy !== null) {
        throw new ValidationError('claimedBy is only allowed for status Running', { field: 'claimedBy' });
      }
      const now = e.now();
      return e.tx(async (c) => {
        const record = taskRecord(
          { id: c.newId(), pipelineExecutionId, taskName, status, attempt, maxAttempts, triggerRules, taskConfiguration, claimedBy },
          now,
        );
        const [row] = await insertRows(c, TASK_EXECUTIONS, [record]);
        const task = decode.task(row!);
        await writeEvents(c, now, [
          {
            pipelineExecutionId,
            taskExecutionId: task.id,
            eventType: 'task_created',
            eventData: eventData.taskCreated(attempt, maxAttempts),
            runnerId: defaultRunner(c),
          },
        ]);
        return task;
      });
    },

    async getById(id) {
      const found = await findById(id);
      if (!found) throw new NotFoundError('TaskExecution', check.id(id));
      return found;
    },

    findById,

    async getAllTasksForPipeline(pipelineId) {
      const rows = await e.rows('SELECT * FROM task_executions WHERE pipeline_execution_id = $1 ORDER BY id', [check.id(pipelineId, 'pipelineId')]);
      return rows.map(decode.task);
    },
  };
}
