/** Task executions: read-side queries of the scheduler (02 §4.3 queries). */
import { check, NotFoundError, taskStatusMap, textList, type TaskExecutionDal, type TaskStatus } from '@cloacina/core';
import type { Exec } from '../executor.js';
import { decode, num } from '../shared.js';

type Queries = Pick<
  TaskExecutionDal,
  'getPendingTasks' | 'getPendingTasksBatch' | 'getTasksForPipelines' | 'checkPipelineCompletion' | 'getTaskStatus' | 'getTaskStatusesBatch'
>;

export function createTaskQueries(e: Exec): Queries {
  return {
    async getPendingTasks(pipelineId) {
      const rows = await e.rows("SELECT * FROM task_executions WHERE pipeline_execution_id = $1 AND status = 'NotStarted' ORDER BY id", [
        check.id(pipelineId, 'pipelineId'),
      ]);
      return rows.map(decode.task);
    },

    async getPendingTasksBatch(pipelineIds) {
      const ids = check.ids(pipelineIds, 'pipelineIds');
      if (ids.length === 0) return [];
      const rows = await e.rows(
        `SELECT * FROM task_executions WHERE pipeline_execution_id = ANY($1::uuid[]) AND status = 'NotStarted'
          ORDER BY pipeline_execution_id, id`,
        [ids],
      );
      return rows.map(decode.task);
    },

    async getTasksForPipelines(pipelineIds) {
      const ids = check.ids(pipelineIds, 'pipelineIds');
      if (ids.length === 0) return [];
      const rows = await e.rows('SELECT * FROM task_executions WHERE pipeline_execution_id = ANY($1::uuid[]) ORDER BY pipeline_execution_id, id', [ids]);
      return rows.map(decode.task);
    },

    async checkPipelineCompletion(pipelineId) {
      const key = check.id(pipelineId, 'pipelineId');
      const rows = await e.rows<{ present: boolean; open: string }>(
        `SELECT EXISTS (SELECT 1 FROM pipeline_executions WHERE id = $1) AS present,
                (SELECT count(*) FROM task_executions
                  WHERE pipeline_execution_id = $1 AND status NOT IN ('Completed', 'Failed', 'Skipped')) AS open`,
        [key],
      );
      if (!rows[0]!.present) throw new NotFoundError('PipelineExecution', key);
      return num(rows[0]!.open) === 0;
    },

    async getTaskStatus(pipelineId, taskName) {
      const key = check.id(pipelineId, 'pipelineId');
      const name = check.text(taskName, 'taskName', { min: 0 });
      const rows = await e.rows<{ status: TaskStatus }>('SELECT status FROM task_executions WHERE pipeline_execution_id = $1 AND task_name = $2', [
        key,
        name,
      ]);
      if (rows.length === 0) throw new NotFoundError('TaskExecution', `${key}/${name}`);
      return rows[0]!.status;
    },

    async getTaskStatusesBatch(pipelineId, taskNames) {
      const key = check.id(pipelineId, 'pipelineId');
      const names = textList(taskNames, 'taskNames');
      if (names.length === 0) return taskStatusMap([]);
      const rows = await e.rows<{ task_name: string; status: TaskStatus }>(
        'SELECT task_name, status FROM task_executions WHERE pipeline_execution_id = $1 AND task_name = ANY($2::text[]) ORDER BY id',
        [key, names],
      );
      return taskStatusMap(rows.map((r) => ({ taskName: r.task_name, status: r.status })));
    },
  };
}
