/** completeManyWithOutput: the executor's group commit of T6 (02 §4.3 context). */
import {
  check,
  chunk,
  completionItems,
  completionOutcomes,
  CONTEXTS,
  eventData,
  executionEventRecords,
  metadataRecord,
  nonEmptyContextRecord,
  TASK_EXECUTION_METADATA,
  type CompletionItem,
  type CompletionOutcome,
  type FenceMissRow,
} from '@cloacina/core';
import { bytesId, insertEvents, insertRows, MAX_PARAMS, placeholders, selectByIds, TS, U } from '../internal.js';
import type { Scope } from '../scope.js';

interface DoneRow {
  id: Buffer;
  pipeline_execution_id: Buffer;
  task_name: string;
  attempt: number;
}

const METADATA_UPSERT = 'ON CONFLICT (task_execution_id) DO UPDATE SET context_id = excluded.context_id, updated_at = excluded.updated_at';

export function createCompleteManyMethods(scope: Scope) {
  const { env } = scope;
  return {
    async completeManyWithOutput(runnerId: string, items: CompletionItem[]): Promise<CompletionOutcome[]> {
      const runner = check.text(runnerId, 'runnerId');
      const { sorted, order } = completionItems(items);
      // No query; the closed-DAL check already ran in the module wrapper.
      if (sorted.length === 0) return [];
      return scope.atomic(async (c) => {
        const now = env.now();
        const at = TS(now);
        // The fenced transitions first, one statement per id chunk: lost claims write nothing.
        const done = new Map<string, DoneRow>();
        for (const part of chunk(sorted, MAX_PARAMS - 3)) {
          const rows = await c.all<DoneRow>(
            `UPDATE task_executions
                SET status = 'Completed', completed_at = ?, claimed_by = NULL, heartbeat_at = NULL, retry_at = NULL, updated_at = ?
              WHERE id IN (${placeholders(part.length)}) AND status = 'Running' AND claimed_by = ?
              RETURNING id, pipeline_execution_id, task_name, attempt`,
            [at, at, ...part.map((i) => U(i.id)), runner],
          );
          for (const r of rows) done.set(bytesId(r.id), r);
        }
        // One read for the ids the fence refused: ClaimLost (row present) or NotFound (absent).
        const missed = new Map<string, FenceMissRow>();
        const missing = sorted.filter((i) => !done.has(i.id)).map((i) => i.id);
        if (missing.length > 0) {
          const rows = await selectByIds(c, missing, 0, (list) => `SELECT id, status, claimed_by FROM task_executions WHERE id IN (${list})`, (p) => p);
          for (const r of rows) missed.set(bytesId(r.id as Buffer), { status: String(r.status), claimedBy: (r.claimed_by as string | null) ?? null });
        }
        // Ids drawn per kind in task id order (02 §1): contexts, metadata rows, then events.
        const written = sorted.filter((i) => done.has(i.id));
        const contextIds = new Map<string, string | null>();
        const contexts = written.flatMap((i) => {
          const context = nonEmptyContextRecord(i.output, now, env.newId);
          contextIds.set(i.id, context?.id ?? null);
          return context ? [context] : [];
        });
        const metas = written.map((i) => {
          const r = done.get(i.id)!;
          const fields = { taskExecutionId: i.id, pipelineExecutionId: bytesId(r.pipeline_execution_id), taskName: r.task_name, contextId: contextIds.get(i.id) ?? null };
          return metadataRecord(env.newId(), fields, now);
        });
        // Event ids too are drawn before any insert, so a constraint error leaves the same ids
        // drawn as in every other DAL.
        const events = executionEventRecords(
          written.map((i) => {
            const r = done.get(i.id)!;
            return {
              pipelineExecutionId: bytesId(r.pipeline_execution_id),
              taskExecutionId: i.id,
              eventType: 'task_completed' as const,
              eventData: eventData.taskCompleted(r.attempt, contextIds.get(i.id) ?? null),
              runnerId: runner,
            };
          }),
          now,
          env.newId,
        );
        await insertRows(c, CONTEXTS, contexts);
        await insertRows(c, TASK_EXECUTION_METADATA, metas, METADATA_UPSERT);
        await insertEvents(c, events);
        return completionOutcomes(order, runner, contextIds, missed);
      });
    },
  };
}
