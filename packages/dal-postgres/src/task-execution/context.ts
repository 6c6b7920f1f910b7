/** Task contexts: input aggregation and completion with output (02 §4.3 context; 03 §6). */
import {
  check,
  CONTEXTS,
  eventData,
  EXECUTION_EVENTS,
  executionEventRecords,
  foldContexts,
  nonEmptyContextRecord,
  NotFoundError,
  textList,
  type JsonObject,
  type TaskExecutionDal,
} from '@cloacina/core';
import type { Exec } from '../executor.js';
import { encodeRow, fencedTaskUpdate, ts } from '../shared.js';

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
        // Context, metadata upsert and event as one statement (data-modifying CTEs run to
        // completion; constraints are checked at the end of the statement). Ids are drawn in
        // the same order as by separate statements: context, metadata, event.
        const context = nonEmptyContextRecord(output, now, () => c.newId());
        const contextId = context?.id ?? null;
        const metaId = c.newId();
        const events = executionEventRecords(
          [{ pipelineExecutionId: pipelineId, taskExecutionId: key, eventType: 'task_completed', eventData: eventData.taskCompleted(row.attempt as number, contextId), runnerId: runner }],
          now,
          () => c.newId(),
        );
        const params: unknown[] = [];
        const p = (v: unknown) => `$${params.push(v)}`;
        const ctes: string[] = [];
        if (context) {
          const enc = encodeRow(CONTEXTS, context);
          ctes.push(`w_context AS (INSERT INTO contexts (${enc.columns.join(', ')}) VALUES (${enc.values.map(p).join(', ')}))`);
        }
        const at = p(ts(now));
        ctes.push(`w_meta AS (INSERT INTO task_execution_metadata (id, task_execution_id, pipeline_execution_id, task_name, context_id, created_at, updated_at)
           VALUES (${p(metaId)}, ${p(key)}, ${p(pipelineId)}, ${p(row.task_name)}, ${p(contextId)}, ${at}, ${at})
           ON CONFLICT (task_execution_id) DO UPDATE SET context_id = EXCLUDED.context_id, updated_at = EXCLUDED.updated_at)`);
        const ev = encodeRow(EXECUTION_EVENTS, events[0]!);
        await c.query(`WITH ${ctes.join(', ')} INSERT INTO execution_events (${ev.columns.join(', ')}) VALUES (${ev.values.map(p).join(', ')})`, params);
        for (const e of events) c.signal(e.eventType, e.pipelineExecutionId, e.taskExecutionId);
        return { contextId };
      });
    },
  };
}
