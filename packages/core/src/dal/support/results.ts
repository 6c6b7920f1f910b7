/**
 * Shaping of method results that does not depend on the backend: id order, first-occurrence
 * lists, the status map of getTaskStatusesBatch, cron statistics and the decisions of
 * finalize (P4). The SQL that gathers the inputs stays in each DAL.
 */
import { NotFoundError, type NotFoundEntity } from '../../errors/index.js';
import type { JsonObject } from '../../json.js';
import { DAL_TEXTS } from '../../models/state-machines.js';
import { isTerminalPipelineStatus, type PipelineStatus, type TaskStatus } from '../../models/vocabulary.js';
import type { CronExecutionStats, FinalizeResult } from '../types.js';
import { eventData } from './events.js';
import { check } from './validate.js';

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Lowercase hyphenated UUIDs sorted as plain strings: that is byte order, which is the id
 * order of both databases (PostgreSQL uuid, SQLite 16-byte BLOB). Returns a new array.
 */
export function sortIds(ids: Iterable<string>): string[] {
  return [...ids].sort(compare);
}

/** Comparator of records by id (see sortIds). */
export function byId(a: { id: string }, b: { id: string }): number {
  return compare(a.id, b.id);
}

/** Comparator for task lists of several runs: pipeline_execution_id, then id (merging chunked reads). */
export function byPipelineThenId(a: { pipelineExecutionId: string; id: string }, b: { pipelineExecutionId: string; id: string }): number {
  return compare(a.pipelineExecutionId, b.pipelineExecutionId) || compare(a.id, b.id);
}

/** Distinct values in first-occurrence order. */
export function distinct<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/**
 * The rows for the listed names, in the order of `names` (a repeated name counts once, a name
 * without a row is absent): the order 02 §4.4 gives dependency metadata.
 */
export function inListOrder<T>(names: readonly string[], rows: readonly T[], nameOf: (row: T) => string): T[] {
  const byName = new Map(rows.map((r) => [nameOf(r), r]));
  return distinct(names).flatMap((n) => {
    const r = byName.get(n);
    return r === undefined ? [] : [r];
  });
}

/** A get-by-id built on the matching find: NotFoundError (with the normalised id) when there is no row. */
export function mustFind<R>(entity: NotFoundEntity, find: (id: string) => Promise<R | null>): (id: string) => Promise<R> {
  return async (id) => {
    const found = await find(id);
    if (found === null) throw new NotFoundError(entity, check.id(id));
    return found;
  };
}

/** NotFoundError for the first id (in input order) that is not among the rows found. */
export function requireAllFound(entity: NotFoundEntity, ids: readonly string[], found: Iterable<string>): void {
  const present = new Set(found);
  const missing = ids.find((id) => !present.has(id));
  if (missing !== undefined) throw new NotFoundError(entity, missing);
}

/** heartbeatMany's answer: the renewed ids and the rest of the wanted ones, each in id order. */
export function renewalResult(wanted: readonly string[], renewed: Iterable<string>): { renewed: string[]; lost: string[] } {
  const kept = new Set(renewed);
  return { renewed: sortIds(kept), lost: sortIds(wanted.filter((id) => !kept.has(id))) };
}

/** getTaskStatusesBatch's result; defineProperty keeps a task literally named "__proto__" an ordinary key. */
export function taskStatusMap(rows: Iterable<{ taskName: string; status: TaskStatus }>): Record<string, TaskStatus> {
  const out: Record<string, TaskStatus> = {};
  for (const r of rows) Object.defineProperty(out, r.taskName, { value: r.status, enumerable: true, writable: true, configurable: true });
  return out;
}

/** getExecutionStats: successRate is a percentage, 0 when nothing was claimed (02 §4.8). */
export function cronExecutionStats(total: number, successful: number, lost: number): CronExecutionStats {
  return {
    totalExecutions: total,
    successfulExecutions: successful,
    lostExecutions: lost,
    successRate: total === 0 ? 0 : (successful / total) * 100,
  };
}

/** finalize (P4) before any write: a terminal run or one with unfinished tasks is left as it is. */
export function finalizeRefusal(status: PipelineStatus, remaining: number): FinalizeResult | null {
  if (isTerminalPipelineStatus(status)) return { outcome: 'already_terminal', status };
  if (remaining > 0) return { outcome: 'not_finished', remaining };
  return null;
}

/** What finalize writes once every task is terminal: the run's status, error summary and event. */
export interface Finalization {
  status: 'Completed' | 'Failed';
  /** The summary of 01 §7.1 for a failed run, else null. */
  errorDetails: string | null;
  eventType: 'pipeline_completed' | 'pipeline_failed';
  eventData: JsonObject;
}

export function finalization(counts: { completed: number; failed: number; skipped: number }, contextId: string | null): Finalization {
  const { completed, failed, skipped } = counts;
  const errorDetails = failed > 0 ? DAL_TEXTS.finalizeSummary(failed, completed, skipped) : null;
  return {
    status: failed > 0 ? 'Failed' : 'Completed',
    errorDetails,
    eventType: failed > 0 ? 'pipeline_failed' : 'pipeline_completed',
    // The failure summary doubles as the event's reason, so the event explains the status.
    eventData: eventData.pipelineFinalized({ completed, failed, skipped, contextId, ...(errorDetails !== null ? { reason: errorDetails } : {}) }),
  };
}
