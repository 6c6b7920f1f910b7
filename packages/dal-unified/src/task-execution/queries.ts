/** Task executions: read-only queries (02 §4.3 queries). */
import { byPipelineThenId, check, distinct, NotFoundError, taskStatusMap, textList, type TaskExecution, type TaskExecutionDal, type TaskStatus } from '@cloacina/core';
import { forChunks, selectRows, type Scope } from '../shared/index.js';

export type QueryMethods = Pick<
  TaskExecutionDal,
  'getPendingTasks' | 'getPendingTasksBatch' | 'getTasksForPipelines' | 'checkPipelineCompletion' | 'getTaskStatus' | 'getTaskStatusesBatch'
>;

/** Order pipeline_execution_id ASC, id ASC across chunks (lowercase UUIDs compare byte-wise as strings). */
export function taskQueries(x: Scope): QueryMethods {
  const { rt } = x;
  const t = rt.t.tasks;
  const pidParam = (id: string) => t.enc('pipelineExecutionId', id);

  const forPipelines = async (pipelineIds: string[], statusFilter: string) => {
    const ids = distinct(check.ids(pipelineIds, 'pipelineIds'));
    if (ids.length === 0) {
      x.guard();
      return [];
    }
    const rows = await x.run((s) =>
      forChunks<TaskExecution>(s, 'pipeline_execution_id', 1, ids.map(pidParam), 'uuid', (inSql, params) =>
        selectRows(s, t, `WHERE ${inSql}${statusFilter} ORDER BY pipeline_execution_id, id`, params),
      ),
    );
    return rows.sort(byPipelineThenId);
  };

  return {
    async getPendingTasks(pipelineId) {
      const key = check.id(pipelineId, 'pipelineId');
      return x.run((s) => selectRows(s, t, "WHERE pipeline_execution_id = $1 AND status = 'NotStarted' ORDER BY id", [pidParam(key)]));
    },

    getPendingTasksBatch: (pipelineIds) => forPipelines(pipelineIds, " AND status = 'NotStarted'"),

    getTasksForPipelines: (pipelineIds) => forPipelines(pipelineIds, ''),

    async checkPipelineCompletion(pipelineId) {
      const key = check.id(pipelineId, 'pipelineId');
      return x.run(async (s) => {
        const row = await s.first(
          `SELECT (SELECT count(*) FROM pipeline_executions WHERE id = $1) AS found,
             (SELECT count(*) FROM task_executions WHERE pipeline_execution_id = $1
                AND status NOT IN ('Completed', 'Failed', 'Skipped')) AS open`,
          [pidParam(key)],
        );
        if (!row || Number(row.found) === 0) throw new NotFoundError('PipelineExecution', key);
        return Number(row.open) === 0;
      });
    },

    async getTaskStatus(pipelineId, taskName) {
      const key = check.id(pipelineId, 'pipelineId');
      const name = check.text(taskName, 'taskName', { min: 0 });
      return x.run(async (s) => {
        const row = await s.first('SELECT status FROM task_executions WHERE pipeline_execution_id = $1 AND task_name = $2', [pidParam(key), name]);
        if (!row) throw new NotFoundError('TaskExecution', `${key}/${name}`);
        return row.status as TaskStatus;
      });
    },

    async getTaskStatusesBatch(pipelineId, taskNames) {
      const key = check.id(pipelineId, 'pipelineId');
      const names = distinct(textList(taskNames, 'taskNames'));
      if (names.length === 0) {
        x.guard();
        return taskStatusMap([]);
      }
      const rows = await x.run((s) =>
        forChunks(s, 'task_name', 2, names, 'text', (inSql, params) =>
          s.rows(`SELECT task_name, status FROM task_executions WHERE pipeline_execution_id = $1 AND ${inSql}`, [pidParam(key), ...params]),
        ),
      );
      return taskStatusMap(rows.map((r) => ({ taskName: String(r.task_name), status: r.status as TaskStatus })));
    },
  };
}
