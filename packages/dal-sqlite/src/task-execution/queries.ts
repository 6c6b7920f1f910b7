/** Task queries: pending tasks, per-run snapshots, completion and status lookups. */
import { byPipelineThenId, check, chunk, distinct, NotFoundError, taskStatusMap, textList, type TaskExecution, type TaskStatus } from '@cloacina/core';
import type { Queries } from '../connection.js';
import { decode, MAX_PARAMS, placeholders, selectByIds, U } from '../internal.js';
import type { Scope } from '../scope.js';

/** Tasks of several runs (optionally NotStarted only), ordered pipeline_execution_id, id. */
async function tasksOfPipelines(scope: Scope, rawIds: unknown, notStartedOnly: boolean): Promise<TaskExecution[]> {
  const ids = distinct(check.ids(rawIds, 'pipelineIds'));
  if (ids.length === 0) return [];
  const filter = notStartedOnly ? " AND status = 'NotStarted'" : '';
  const rows = await scope.read((q) =>
    selectByIds(
      q,
      ids,
      0,
      (list) => `SELECT * FROM task_executions WHERE pipeline_execution_id IN (${list})${filter} ORDER BY pipeline_execution_id, id`,
      (part) => part,
    ),
  );
  const tasks = rows.map(decode.task);
  // Chunks are each ordered; a merge across chunks needs one more sort.
  return ids.length > MAX_PARAMS ? tasks.sort(byPipelineThenId) : tasks;
}

export function createQueryMethods(scope: Scope) {
  return {
    async getPendingTasks(pipelineId: string): Promise<TaskExecution[]> {
      const pid = check.id(pipelineId, 'pipelineId');
      const rows = await scope.read((q) =>
        q.all("SELECT * FROM task_executions WHERE pipeline_execution_id = ? AND status = 'NotStarted' ORDER BY id", [U(pid)]),
      );
      return rows.map(decode.task);
    },

    getPendingTasksBatch: (pipelineIds: string[]) => tasksOfPipelines(scope, pipelineIds, true),

    getTasksForPipelines: (pipelineIds: string[]) => tasksOfPipelines(scope, pipelineIds, false),

    async checkPipelineCompletion(pipelineId: string): Promise<boolean> {
      const pid = check.id(pipelineId, 'pipelineId');
      const row = await scope.read((q) =>
        q.get<{ remaining: number }>(
          `SELECT (SELECT count(*) FROM task_executions t
                    WHERE t.pipeline_execution_id = p.id AND t.status NOT IN ('Completed', 'Failed', 'Skipped')) AS remaining
             FROM pipeline_executions p WHERE p.id = ?`,
          [U(pid)],
        ),
      );
      if (!row) throw new NotFoundError('PipelineExecution', pid);
      return row.remaining === 0;
    },

    async getTaskStatus(pipelineId: string, taskName: string): Promise<TaskStatus> {
      const pid = check.id(pipelineId, 'pipelineId');
      const name = check.text(taskName, 'taskName', { min: 0 });
      const row = await scope.read((q) =>
        q.get<{ status: TaskStatus }>('SELECT status FROM task_executions WHERE pipeline_execution_id = ? AND task_name = ?', [U(pid), name]),
      );
      if (!row) throw new NotFoundError('TaskExecution', `${pid}/${name}`);
      return row.status;
    },

    async getTaskStatusesBatch(pipelineId: string, taskNames: string[]): Promise<Record<string, TaskStatus>> {
      const pid = check.id(pipelineId, 'pipelineId');
      const names = distinct(textList(taskNames, 'taskNames'));
      if (names.length === 0) return taskStatusMap([]);
      const rows = await scope.read(async (q: Queries) => {
        const all: { task_name: string; status: TaskStatus }[] = [];
        for (const part of chunk(names, MAX_PARAMS - 1)) {
          all.push(
            ...(await q.all<{ task_name: string; status: TaskStatus }>(
              `SELECT task_name, status FROM task_executions WHERE pipeline_execution_id = ? AND task_name IN (${placeholders(part.length)})`,
              [U(pid), ...part],
            )),
          );
        }
        return all;
      });
      return taskStatusMap(rows.map((r) => ({ taskName: r.task_name, status: r.status })));
    },
  };
}
