/** Task contexts: input aggregation (03 §6) and completion with output (T6, hot path). */
import {
  check,
  chunk,
  CONTEXTS,
  decodeJson,
  eventData,
  executionEventRecords,
  foldContexts,
  metadataRecord,
  nonEmptyContextRecord,
  NotFoundError,
  TASK_EXECUTION_METADATA,
  textList,
  type JsonObject,
} from '@cloacina/core';
import { encodeRows, insertEvents, insertRows, placeholders, U, MAX_PARAMS } from '../internal.js';
import type { Scope } from '../scope.js';
import { completeFenced } from './state.js';

export function createContextMethods(scope: Scope) {
  const { env } = scope;
  return {
    async buildInputContext(pipelineId: string, dependencyNames: string[]): Promise<JsonObject> {
      const pid = check.id(pipelineId, 'pipelineId');
      const names = textList(dependencyNames, 'dependencyNames');
      return scope.read(async (q) => {
        const run = await q.get<{ value: string | null }>(
          'SELECT c.value AS value FROM pipeline_executions p LEFT JOIN contexts c ON c.id = p.context_id WHERE p.id = ?',
          [U(pid)],
        );
        if (!run) throw new NotFoundError('PipelineExecution', pid);
        if (names.length === 0) return run.value === null ? {} : (decodeJson(run.value) as JsonObject);
        const outputs = new Map<string, JsonObject>();
        for (const part of chunk([...new Set(names)], MAX_PARAMS - 1)) {
          const rows = await q.all<{ task_name: string; value: string }>(
            `SELECT m.task_name AS task_name, c.value AS value
               FROM task_execution_metadata m JOIN contexts c ON c.id = m.context_id
              WHERE m.pipeline_execution_id = ? AND m.task_name IN (${placeholders(part.length)})`,
            [U(pid), ...part],
          );
          for (const r of rows) outputs.set(r.task_name, decodeJson(r.value) as JsonObject);
        }
        // Declaration order; dependencies without output contribute nothing.
        return foldContexts(names.map((n) => outputs.get(n)));
      });
    },

    async completeWithOutput(rawId: string, runnerId: string, output: JsonObject): Promise<{ contextId: string | null }> {
      const id = check.id(rawId);
      const runner = check.text(runnerId, 'runnerId');
      const value = check.jsonObject(output, 'output');
      return scope.atomic(async (c) => {
        const now = env.now();
        // The fence first: a lost claim throws before anything is written.
        const { pipelineId, attempt, taskName } = await completeFenced(c, now, id, runner);
        // Every id is drawn before any insert (context, metadata, event), so a constraint error
        // leaves the same ids drawn as in every other DAL.
        const context = nonEmptyContextRecord(value, now, env.newId);
        const contextId = context?.id ?? null;
        const { columns, rows } = encodeRows(TASK_EXECUTION_METADATA, [
          metadataRecord(env.newId(), { taskExecutionId: id, pipelineExecutionId: pipelineId, taskName, contextId }, now),
        ]);
        const events = executionEventRecords(
          [{ pipelineExecutionId: pipelineId, taskExecutionId: id, eventType: 'task_completed', eventData: eventData.taskCompleted(attempt, contextId), runnerId: runner }],
          now,
          env.newId,
        );
        if (context) await insertRows(c, CONTEXTS, [context]);
        await c.run(
          `INSERT INTO task_execution_metadata (${columns.join(', ')}) VALUES (${placeholders(columns.length)})
           ON CONFLICT (task_execution_id) DO UPDATE SET context_id = excluded.context_id, updated_at = excluded.updated_at`,
          rows[0],
        );
        await insertEvents(c, events);
        return { contextId };
      });
    },
  };
}
