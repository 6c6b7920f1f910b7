/** Task executions: create, getById, findById, getAllTasksForPipeline (02 §4.3 crud). */
import { check, eventData, newTaskInput, taskRecord, type TaskExecutionDal } from '@cloacina/core';
import { ev, findById, getById, insertRows, selectRows, writeEvents, type Scope } from '../shared/index.js';

export type CrudMethods = Pick<TaskExecutionDal, 'create' | 'getById' | 'findById' | 'getAllTasksForPipeline'>;

export function taskCrud(x: Scope): CrudMethods {
  const { rt } = x;
  const t = rt.t.tasks;

  return {
    async create(input) {
      const v = newTaskInput(input);
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        const record = taskRecord(rt.newId(), v, now);
        await insertRows(s, t, [record]);
        const data = eventData.taskCreated(v.attempt, v.maxAttempts);
        await writeEvents(s, rt, tx, now, [ev('task_created', v.pipelineExecutionId, record.id, data, rt.runnerId)]);
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
