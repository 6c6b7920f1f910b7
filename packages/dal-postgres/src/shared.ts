/**
 * Helpers shared by every module: row decoding, multi-row inserts, execution-event writing,
 * and the fenced / guarded conditional updates with their follow-up read (02 §6).
 */
import {
  ClaimLostError,
  encodeTimestamp,
  EXECUTION_EVENTS,
  executionEventRecords,
  NotFoundError,
  recordDecoders,
  recordEncoder,
  type ExecutionEventType,
  type JsonObject,
  type LeaseGuard,
  type NotFoundEntity,
  type PendingEvent,
  type TableDef,
  type TaskStatus,
} from '@cloacina/core';
import type { Exec, Row } from './executor.js';

/** Raw snake_case rows → records (schema-driven, shared with the other DALs through core). */
export const decode = recordDecoders('postgres');

/**
 * Timestamps travel as the fixed ISO text with its `Z`, which PostgreSQL reads as an absolute
 * instant whatever the session TimeZone; pg returns timestamptz values as Date.
 */
export function ts(d: Date): string {
  return encodeTimestamp(d);
}

/** PostgreSQL returns count(*) and sum() over integers as bigint/numeric text. */
export function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

export const MAX_PARAMS = 60_000; // below PostgreSQL's 65 535 bind-parameter limit

/** camelCase record → column names and driver values (schema-driven, core's codecs). */
export const encodeRow = recordEncoder('postgres');

/**
 * Inserts records (camelCase, every row with the same fields) with multi-row VALUES,
 * chunked below the parameter limit. Returns the stored rows in insertion order.
 */
export async function insertRows(e: Exec, table: TableDef, records: readonly object[], returning = true): Promise<Row[]> {
  if (records.length === 0) return [];
  const encoded = records.map((r) => encodeRow(table, r));
  const columns = encoded[0]!.columns;
  const perChunk = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const out: Row[] = [];
  for (let start = 0; start < encoded.length; start += perChunk) {
    const part = encoded.slice(start, start + perChunk);
    const params: unknown[] = [];
    const tuples = part.map((row) => {
      const marks = row.values.map((v) => {
        params.push(v);
        return `$${params.length}`;
      });
      return `(${marks.join(', ')})`;
    });
    const sql = `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${tuples.join(', ')}${returning ? ' RETURNING *' : ''}`;
    const r = await e.query(sql, params);
    out.push(...r.rows);
  }
  return out;
}

/**
 * Writes the execution events of one call (01 §7.3) in the order of 02 §1 — task events by
 * task id, then pipeline events — drawing their ids in that order, and buffers their signals.
 * Must run inside the call's transaction.
 */
export async function writeEvents(e: Exec, now: Date, events: PendingEvent[], returning = false): Promise<Row[]> {
  if (events.length === 0) return [];
  const records = executionEventRecords(events, now, () => e.newId());
  const rows = await insertRows(e, EXECUTION_EVENTS, records, returning);
  for (const ev of records) e.signal(ev.eventType, ev.pipelineExecutionId, ev.taskExecutionId);
  return rows;
}

/** runner_id of events written by non-fenced methods: the DAL's configured runner id, else NULL. */
export function defaultRunner(e: Exec): string | null {
  return e.rt.runnerId;
}

/**
 * Fenced task write (02 §1): `UPDATE … WHERE id = $1 AND status = 'Running' AND claimed_by = $2`.
 * `set` may use $3… for `params`. When nothing matched, a follow-up read tells NotFoundError
 * from ClaimLostError; the row is left untouched either way.
 */
export async function fencedTaskUpdate(e: Exec, id: string, runnerId: string, set: string, params: unknown[], returning = '*'): Promise<Row> {
  const r = await e.query(
    `UPDATE task_executions SET ${set} WHERE id = $1 AND status = 'Running' AND claimed_by = $2 RETURNING ${returning}`,
    [id, runnerId, ...params],
  );
  if (r.rows.length > 0) return r.rows[0]!;
  const cur = await e.rows<{ status: TaskStatus; claimed_by: string | null }>('SELECT status, claimed_by FROM task_executions WHERE id = $1', [id]);
  if (cur.length === 0) throw new NotFoundError('TaskExecution', id);
  throw new ClaimLostError(id, runnerId, cur[0]!.status, cur[0]!.claimed_by);
}

/**
 * A fenced task transition with its execution event, in one transaction (T6–T8, T10): the
 * fenced update, then the event built from the updated row's attempt.
 */
export async function fencedTransition(
  e: Exec,
  id: string,
  runnerId: string,
  t: { set: string; params: unknown[]; now: Date; eventType: ExecutionEventType; eventData: (attempt: number) => JsonObject },
): Promise<void> {
  await e.tx(async (c) => {
    const row = await fencedTaskUpdate(c, id, runnerId, t.set, t.params, 'pipeline_execution_id, attempt');
    await writeEvents(c, t.now, [
      {
        pipelineExecutionId: row.pipeline_execution_id as string,
        taskExecutionId: id,
        eventType: t.eventType,
        eventData: t.eventData(row.attempt as number),
        runnerId,
      },
    ]);
  });
}

/** After a guarded update matched nothing: NotFoundError if the row is missing, else `false`. */
export async function existsOrThrow(e: Exec, table: string, entity: NotFoundEntity, id: string): Promise<false> {
  const r = await e.rows(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
  if (r.length === 0) throw new NotFoundError(entity, id);
  return false;
}

/**
 * SQL condition for an optional lease guard (T11, T12): with a guard the row must be Running,
 * held by `guard.claimedBy` and (when given) last renewed before `heartbeatBefore`.
 * Appends its parameters to `params` and returns the fragment (empty without a guard).
 */
export function leaseGuardSql(guard: LeaseGuard | undefined, params: unknown[], alias = ''): string {
  if (!guard) return '';
  const p = alias ? `${alias}.` : '';
  params.push(guard.claimedBy);
  let sql = ` AND ${p}status = 'Running' AND ${p}claimed_by = $${params.length}`;
  if (guard.heartbeatBefore !== undefined) {
    params.push(ts(guard.heartbeatBefore));
    sql += ` AND ${p}heartbeat_at < $${params.length}::timestamptz`;
  }
  return sql;
}

/** `$n::text[]` literal list for a fixed vocabulary (values are constants, never user input). */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}
