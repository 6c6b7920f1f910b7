/** Task rows: create (T1 for a single row), getById, findById, getAllTasksForPipeline. */
import { check, eventData, mustFind, newTaskInput, TASK_EXECUTIONS, taskRecord, type NewTaskExecution, type TaskExecution } from '@cloacina/core';
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
      const v = newTaskInput(input);
      return scope.atomic(async (c) => {
        const now = env.now();
        const record = taskRecord(env.newId(), v, now);
        const [raw] = await insertRows(c, TASK_EXECUTIONS, [record]);
        await writeEvents(c, env, now, [
          {
            pipelineExecutionId: v.pipelineExecutionId,
            taskExecutionId: record.id,
            eventType: 'task_created',
            eventData: eventData.taskCreated(v.attempt, v.maxAttempts),
            runnerId: env.runnerId,
          },
        ]);
        return decode.task(raw!);
      });
    },

    findById,

    getById: mustFind('TaskExecution', findById),

    async getAllTasksForPipeline(pipelineId: string): Promise<TaskExecution[]> {
      const pid = check.id(pipelineId, 'pipelineId');
      const rows = await scope.read((q) => q.all('SELECT * FROM task_executions WHERE pipeline_execution_id = ? ORDER BY id', [U(pid)]));
      return rows.map(decode.task);
    },
  };
}
