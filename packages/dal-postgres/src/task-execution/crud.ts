/** Task executions: create, getById, findById, getAllTasksForPipeline (02 §4.3 crud). */
import { check, eventData, mustFind, newTaskInput, TASK_EXECUTIONS, taskRecord, type TaskExecutionDal } from '@cloacina/core';
import type { Exec } from '../executor.js';
import { decode, defaultRunner, insertRows, writeEvents } from '../shared.js';

type Crud = Pick<TaskExecutionDal, 'create' | 'getById' | 'findById' | 'getAllTasksForPipeline'>;

export function createTaskCrud(e: Exec): Crud {
  const findById = async (id: string) => {
    const rows = await e.rows('SELECT * FROM task_executions WHERE id = $1', [check.id(id)]);
    return rows.length > 0 ? decode.task(rows[0]!) : null;
  };

  return {
    async create(input) {
      const v = newTaskInput(input);
      const now = e.now();
      return e.tx(async (c) => {
        const [row] = await insertRows(c, TASK_EXECUTIONS, [taskRecord(c.newId(), v, now)]);
        const task = decode.task(row!);
        await writeEvents(c, now, [
          {
            pipelineExecutionId: v.pipelineExecutionId,
            taskExecutionId: task.id,
            eventType: 'task_created',
            eventData: eventData.taskCreated(v.attempt, v.maxAttempts),
            runnerId: defaultRunner(c),
          },
        ]);
        return task;
      });
    },

    findById,

    getById: mustFind('TaskExecution', findById),

    async getAllTasksForPipeline(pipelineId) {
      const rows = await e.rows('SELECT * FROM task_executions WHERE pipeline_execution_id = $1 ORDER BY id', [check.id(pipelineId, 'pipelineId')]);
      return rows.map(decode.task);
    },
  };
}
