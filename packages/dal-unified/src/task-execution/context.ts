/** Task contexts: input aggregation and the completion hot path (02 §4.3 context, 03 §6). */
import {
  check,
  completionItems,
  completionOutcomes,
  distinct,
  eventData,
  foldContexts,
  metadataRecord,
  nonEmptyContextRecord,
  NotFoundError,
  textList,
  type FenceMissRow,
  type JsonObject,
  type TaskExecutionDal,
} from '@cloacina/core';
import { ev, eventRows, fencedUpdate, forChunks, insertAll, type Scope } from '../shared/index.js';

export type ContextMethods = Pick<TaskExecutionDal, 'buildInputContext' | 'completeWithOutput' | 'completeManyWithOutput'>;

const METADATA_UPSERT = 'ON CONFLICT (task_execution_id) DO UPDATE SET context_id = excluded.context_id, updated_at = excluded.updated_at';
const COMPLETED_SET = "status = 'Completed', completed_at = $1, updated_at = $1, retry_at = NULL, claimed_by = NULL, heartbeat_at = NULL";

export function taskContext(x: Scope): ContextMethods {
  const { rt } = x;
  const t = rt.t.tasks;

  return {
    async buildInputContext(pipelineId, dependencyNames) {
      const key = check.id(pipelineId, 'pipelineId');
      const names = textList(dependencyNames, 'dependencyNames');
      const pid = rt.t.pipelines.enc('id', key);
      return x.run(async (s) => {
        if (names.length === 0) {
          const row = await s.first('SELECT p.id, c.value FROM pipeline_executions p LEFT JOIN contexts c ON c.id = p.context_id WHERE p.id = $1', [pid]);
          if (!row) throw new NotFoundError('PipelineExecution', key);
          return row.value === null || row.value === undefined ? {} : rt.p.jsonOf<JsonObject>(row.value);
        }
        // One statement: the run (for NotFound) left-joined to its dependencies' outputs.
        const unique = distinct(names);
        const inList = s.d.inList('m.task_name', 2, unique, 'text');
        const rows = await s.rows(
          `SELECT p.id, m.task_name, c.value FROM pipeline_executions p
           LEFT JOIN task_execution_metadata m ON m.pipeline_execution_id = p.id AND ${inList.sql}
           LEFT JOIN contexts c ON c.id = m.context_id
           WHERE p.id = $1`,
          [pid, ...inList.params],
        );
        if (rows.length === 0) throw new NotFoundError('PipelineExecution', key);
        const outputs = new Map<string, JsonObject>();
        for (const r of rows) {
          if (r.task_name !== null && r.task_name !== undefined && r.value !== null && r.value !== undefined) {
            outputs.set(String(r.task_name), rt.p.jsonOf<JsonObject>(r.value));
          }
        }
        // Merged in the order given; dependencies without output contribute nothing.
        return foldContexts(names.map((n) => outputs.get(n)));
      });
    },

    async completeWithOutput(id, runnerId, output) {
      const key = check.id(id);
      const runner = check.text(runnerId, 'runnerId');
      check.jsonObject(output, 'output');
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        // The fenced transition first: a lost claim writes nothing.
        const row = await fencedUpdate(
          s,
          rt,
          key,
          runner,
          "status = 'Completed', completed_at = $3, updated_at = $3, retry_at = NULL, claimed_by = NULL, heartbeat_at = NULL",
          [t.enc('updatedAt', now)],
          'pipeline_execution_id, task_name, attempt',
        );
        const pipelineId = rt.p.uuidOf(row.pipeline_execution_id);
        const context = nonEmptyContextRecord(output, now, () => rt.newId());
        const contextId = context?.id ?? null;
        // The upsert draws its id even when it ends as an update (02 §1).
        const meta = metadataRecord(rt.newId(), { taskExecutionId: key, pipelineExecutionId: pipelineId, taskName: String(row.task_name), contextId }, now);
        const events = eventRows(rt, tx, now, [ev('task_completed', pipelineId, key, eventData.taskCompleted(Number(row.attempt), contextId), runner)]);
        // Context, metadata upsert and event in one statement where the dialect allows it.
        await insertAll(s, [
          { t: rt.t.contexts, records: context ? [context] : [] },
          { t: rt.t.metadata, records: [meta], suffix: METADATA_UPSERT },
          { t: rt.t.executionEvents, records: events },
        ]);
        return { contextId };
      });
    },

    async completeManyWithOutput(runnerId, items) {
      const runner = check.text(runnerId, 'runnerId');
      const { sorted, order } = completionItems(items);
      if (sorted.length === 0) {
        x.guard();
        return [];
      }
      return x.atomic(async (s, tx) => {
        const now = rt.now();
        // The fenced transitions first, one statement per id chunk: lost claims write nothing.
        const done = await forChunks(s, 'id', 3, sorted.map((i) => t.enc('id', i.id)), 'uuid', (inSql, params) =>
          s.rows(
            `UPDATE task_executions SET ${COMPLETED_SET} WHERE status = 'Running' AND claimed_by = $2 AND ${inSql}
             RETURNING id, pipeline_execution_id, task_name, attempt`,
            [t.enc('updatedAt', now), runner, ...params],
          ),
        );
        const byId = new Map(done.map((r) => [rt.p.uuidOf(r.id), r]));
        const missed = new Map<string, FenceMissRow>();
        const missing = sorted.filter((i) => !byId.has(i.id)).map((i) => t.enc('id', i.id));
        if (missing.length > 0) {
          const rows = await forChunks(s, 'id', 1, missing, 'uuid', (inSql, params) =>
            s.rows(`SELECT id, status, claimed_by FROM task_executions WHERE ${inSql}`, params),
          );
          for (const r of rows) missed.set(rt.p.uuidOf(r.id), { status: String(r.status), claimedBy: (r.claimed_by as string | null) ?? null });
        }
        // Ids drawn per kind in task id order (02 §1): contexts, metadata rows, then events.
        const written = sorted.filter((i) => byId.has(i.id));
        const contextIds = new Map<string, string | null>();
        const contexts = written.flatMap((i) => {
          const context = nonEmptyContextRecord(i.output, now, () => rt.newId());
          contextIds.set(i.id, context?.id ?? null);
          return context ? [context] : [];
        });
        const metas = written.map((i) => {
          const row = byId.get(i.id)!;
          const pipelineExecutionId = rt.p.uuidOf(row.pipeline_execution_id);
          return metadataRecord(rt.newId(), { taskExecutionId: i.id, pipelineExecutionId, taskName: String(row.task_name), contextId: contextIds.get(i.id) ?? null }, now);
        });
        const events = eventRows(
          rt,
          tx,
          now,
          written.map((i) => {
            const row = byId.get(i.id)!;
            return ev('task_completed', rt.p.uuidOf(row.pipeline_execution_id), i.id, eventData.taskCompleted(Number(row.attempt), contextIds.get(i.id) ?? null), runner);
          }),
        );
        await insertAll(s, [
          { t: rt.t.contexts, records: contexts },
          { t: rt.t.metadata, records: metas, suffix: METADATA_UPSERT },
          { t: rt.t.executionEvents, records: events },
        ]);
        return completionOutcomes(order, runner, contextIds, missed);
      });
    },
  };
}
