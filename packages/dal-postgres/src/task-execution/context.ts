/** Task contexts: input aggregation and completion with output (02 §4.3 context; 03 §6). */
import { check, eventData, foldContexts, NotFoundError, textList, type JsonObject, type TaskExecutionDal } from '@cloacina/core';
import { storeContext } from '../context.js';
import type { Exec } from '../executor.js';
import { fencedTaskUpdate, ts, writeEvents } from '../shared.js';

type TaskContext = Pick<TaskExecutionDal, 'buildInputContext' | 'completeWithOutput'>;

export function createTaskContext(e: Exec): TaskContext {
  return {
    async buildInputContext(pipelineId, dependencyNames) {
      const key = check.id(pipelineId, 'pipelineId');
      const names = textList(dependencyNames, 'dependencyNames');
      if (names.length === 0) {
        const rows = await e.rows<{ value: JsonObject | null }>(
          'SELECT c.value FROM pipeline_executions p LEFT JOIN contexts c ON c.id = p.context_id WHERE p.id = $1',
          [key],
        );
        if (rows.length === 0) throw new NotFoundError('PipelineExecution', key);
        return rows[0]!.value ?? {};
      }
      // One query: the run (to tell a missing run from missing outputs) and the outputs of
      // the listed dependencies that produced one.
      const rows = await e.rows<{ task_name: string | null; value: JsonObject | null }>(
        `SELECT m.task_name, c.value
           FROM (SELECT id FROM pipeline_executions WHERE id = $1) p
           LEFT JOIN task_execution_metadata m ON m.pipeline_execution_id = p.id AND m.task_name = ANY($2::text[])
           LEFT JOIN contexts c ON c.id = m.context_id`,
        [key, names],
      );
      if (rows.length === 0) throw new NotFoundError('PipelineExecution', key);
      const outputs = new Map<string, JsonObject>();
      for (const r of rows) if (r.task_name !== null && r.value !== null) outputs.set(r.task_name, r.value);
      // Merge in the order given; dependencies without output contribute nothing.
      return foldContexts(names.map((n) => outputs.get(n)));
    },

    async completeWithOutput(id, runnerId, output) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      check.jsonObject(output, 'output');
      const now = e.now();
      return e.tx(async (c) => {
        // The fenced status change comes first, so a lost claim writes nothing at all.
        const row = await fencedTaskUpdate(
          c,
          key,
          runner,
          "status = 'Completed', completed_at = $3, updated_at = $3, retry_at = NULL, claimed_by = NULL, heartbeat_at = NULL",
          [ts(now)],
          'pipeline_execution_id, task_name, attempt',
        );
        const pipelineId = row.pipeline_execution_id as string;
        const contextId = await storeContext(c, output, now);
        await c.query(
          `INSERT INTO task_execution_metadata (id, task_execution_id, pipeline_execution_id, task_name, context_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $6)
           ON CONFLICT (task_execution_id) DO UPDATE SET context_id = EXCLUDED.context_id, updated_at = EXCLUDED.updated_at`,
          [c.newId(), key, pipelineId, row.task_name, contextId, ts(now)],
        );
        await writeEvents(c, now, [
          {
            pipelineExecutionId: pipelineId,
            taskExecutionId: key,
            eventType: 'task_completed',
            eventData: eventData.taskCompleted(row.attempt as number, contextId),
            runnerId: runner,
          },
        ]);
        return { contextId };
      });
    },
  };
}
