/** completeManyWithOutput: the executor's group commit of T6 (02 §4.3 context). */
import {
  check,
  completionItems,
  completionOutcomes,
  CONTEXTS,
  eventData,
  EXECUTION_EVENTS,
  executionEventRecords,
  metadataRecord,
  nonEmptyContextRecord,
  TASK_EXECUTION_METADATA,
  type FenceMissRow,
  type TableDef,
  type TaskExecutionDal,
} from '@cloacina/core';
import type { Exec } from '../executor.js';
import { encodeRow, MAX_PARAMS, ts } from '../shared.js';

type CompleteMany = Pick<TaskExecutionDal, 'completeManyWithOutput'>;

interface DoneRow {
  id: string;
  pipeline_execution_id: string;
  task_name: string;
  attempt: number;
}

type Encoded = ReturnType<typeof encodeRow>;

/** `INSERT INTO t (…) VALUES (…), (…)` over encoded rows, binding values through `p`. */
const insertSql = (table: TableDef, rows: Encoded[], p: (v: unknown) => string): string =>
  `INSERT INTO ${table.name} (${rows[0]!.columns.join(', ')}) VALUES ${rows.map((r) => `(${r.values.map(p).join(', ')})`).join(', ')}`;

export function createTaskCompleteMany(e: Exec): CompleteMany {
  return {
    async completeManyWithOutput(runnerId, items) {
      const runner = check.text(runnerId, 'runnerId');
      const { sorted, order } = completionItems(items);
      // No query; the closed-DAL check already ran in the module wrapper.
      if (sorted.length === 0) return [];
      const now = e.now();
      return e.tx(async (c) => {
        // The fenced transitions first, in one statement: lost claims write nothing.
        const rows = await c.rows<DoneRow>(
          `UPDATE task_executions
              SET status = 'Completed', completed_at = $3, updated_at = $3, retry_at = NULL, claimed_by = NULL, heartbeat_at = NULL
            WHERE id = ANY($1::uuid[]) AND status = 'Running' AND claimed_by = $2
            RETURNING id, pipeline_execution_id, task_name, attempt`,
          [sorted.map((i) => i.id), runner, ts(now)],
        );
        const done = new Map(rows.map((r) => [r.id, r]));
        // One read for the ids the fence refused: ClaimLost (row present) or NotFound (absent).
        const missed = new Map<string, FenceMissRow>();
        const missing = sorted.filter((i) => !done.has(i.id)).map((i) => i.id);
        if (missing.length > 0) {
          const cur = await c.rows<{ id: string; status: string; claimed_by: string | null }>(
            'SELECT id, status, claimed_by FROM task_executions WHERE id = ANY($1::uuid[])',
            [missing],
          );
          for (const r of cur) missed.set(r.id, { status: r.status, claimedBy: r.claimed_by });
        }
        // Ids drawn per kind in task id order (02 §1): contexts, metadata rows, then events.
        const written = sorted.filter((i) => done.has(i.id));
        const contextIds = new Map<string, string | null>();
        const contexts = written.map((i) => {
          const context = nonEmptyContextRecord(i.output, now, () => c.newId());
          contextIds.set(i.id, context?.id ?? null);
          return context ? encodeRow(CONTEXTS, context) : null;
        });
        const metas = written.map((i) => {
          const r = done.get(i.id)!;
          const fields = { taskExecutionId: i.id, pipelineExecutionId: r.pipeline_execution_id, taskName: r.task_name, contextId: contextIds.get(i.id) ?? null };
          return encodeRow(TASK_EXECUTION_METADATA, metadataRecord(c.newId(), fields, now));
        });
        // Task events only, so core's event order is task id order, the same as `written`.
        const events = executionEventRecords(
          written.map((i) => {
            const r = done.get(i.id)!;
            return {
              pipelineExecutionId: r.pipeline_execution_id,
              taskExecutionId: i.id,
              eventType: 'task_completed' as const,
              eventData: eventData.taskCompleted(r.attempt, contextIds.get(i.id) ?? null),
              runnerId: runner,
            };
          }),
          now,
          () => c.newId(),
        );
        // Contexts, metadata upserts and events as one statement per chunk of items (data-
        // modifying CTEs; foreign keys are checked at the end of the statement).
        const evRows = events.map((ev) => encodeRow(EXECUTION_EVENTS, ev));
        const perItem = (contexts.find((x) => x !== null)?.values.length ?? 0) + (metas[0]?.values.length ?? 0) + (evRows[0]?.values.length ?? 0);
        const size = Math.max(1, Math.floor(MAX_PARAMS / Math.max(1, perItem)));
        for (let start = 0; start < written.length; start += size) {
          const end = start + size;
          const params: unknown[] = [];
          const p = (v: unknown) => `$${params.push(v)}`;
          const ctes: string[] = [];
          const ctx = contexts.slice(start, end).filter((x): x is Encoded => x !== null);
          if (ctx.length > 0) ctes.push(`w_context AS (${insertSql(CONTEXTS, ctx, p)})`);
          ctes.push(
            `w_meta AS (${insertSql(TASK_EXECUTION_METADATA, metas.slice(start, end), p)}
               ON CONFLICT (task_execution_id) DO UPDATE SET context_id = EXCLUDED.context_id, updated_at = EXCLUDED.updated_at)`,
          );
          await c.query(`WITH ${ctes.join(', ')} ${insertSql(EXECUTION_EVENTS, evRows.slice(start, end), p)}`, params);
        }
        for (const ev of events) c.signal(ev.eventType, ev.pipelineExecutionId, ev.taskExecutionId);
        return completionOutcomes(order, runner, contextIds, missed);
      });
    },
  };
}
