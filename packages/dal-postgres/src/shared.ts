/**
 * Helpers shared by every module: row decoding, multi-row inserts, execution-event writing,
 * and the fenced / guarded conditional updates with their follow-up read (02 §6).
 */
import {
  check,
  ClaimLostError,
  CONTEXTS,
  CRON_EXECUTIONS,
  CRON_SCHEDULES,
  encodeTimestamp,
  EXECUTION_EVENTS,
  NotFoundError,
  orderEvents,
  PIPELINE_EXECUTIONS,
  RECOVERY_EVENTS,
  rowDecoder,
  rowEncoder,
  TASK_EXECUTION_METADATA,
  TASK_EXECUTIONS,
  ValidationError,
  WORKFLOW_PACKAGES,
  type ContextRecord,
  type CronExecution,
  type CronSchedule,
  type ExecutionEvent,
  type LeaseGuard,
  type NotFoundEntity,
  type PendingEvent,
  type PipelineExecution,
  type RecoveryEvent,
  type TableDef,
  type TaskExecution,
  type TaskExecutionMetadata,
  type TaskStatus,
  type WorkflowPackage,
} from '@cloacina/core';
import type { Exec, Row } from './executor.js';

/** Raw snake_case rows → records (schema-driven, shared with the other DALs through core). */
export const decode = {
  context: rowDecoder<ContextRecord>(CONTEXTS, 'postgres'),
  pipeline: rowDecoder<PipelineExecution>(PIPELINE_EXECUTIONS, 'postgres'),
  task: rowDecoder<TaskExecution>(TASK_EXECUTIONS, 'postgres'),
  metadata: rowDecoder<TaskExecutionMetadata>(TASK_EXECUTION_METADATA, 'postgres'),
  recoveryEvent: rowDecoder<RecoveryEvent>(RECOVERY_EVENTS, 'postgres'),
  executionEvent: rowDecoder<ExecutionEvent>(EXECUTION_EVENTS, 'postgres'),
  cronSchedule: rowDecoder<CronSchedule>(CRON_SCHEDULES, 'postgres'),
  cronExecution: rowDecoder<CronExecution>(CRON_EXECUTIONS, 'postgres'),
  workflowPackage: rowDecoder<WorkflowPackage>(WORKFLOW_PACKAGES, 'postgres'),
} as const;

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

const encoders = new Map<TableDef, ReturnType<typeof rowEncoder>>();
const MAX_PARAMS = 60_000; // below PostgreSQL's 65 535 bind-parameter limit

/** camelCase record → column names and driver values (schema-driven, core's codecs). */
export function encodeRow(table: TableDef, record: Record<string, unknown>): { columns: string[]; values: unknown[] } {
  let enc = encoders.get(table);
  if (!enc) encoders.set(table, (enc = rowEncoder(table, 'postgres')));
  return enc(record);
}

/**
 * Inserts records (camelCase, every row with the same fields) with multi-row VALUES,
 * chunked below the parameter limit. Returns the stored rows in insertion order.
 */
export async function insertRows(e: Exec, table: TableDef, records: Record<string, unknown>[], returning = true): Promise<Row[]> {
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
  const ordered = orderEvents(events);
  const records = ordered.map((ev) => ({
    id: e.newId(),
    pipelineExecutionId: ev.pipelineExecutionId,
    taskExecutionId: ev.taskExecutionId,
    eventType: ev.eventType,
    eventData: ev.eventData,
    runnerId: ev.runnerId,
    createdAt: now,
  }));
  const rows = await insertRows(e, EXECUTION_EVENTS, records, returning);
  for (const ev of ordered) e.signal(ev.eventType, ev.pipelineExecutionId, ev.taskExecutionId);
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

/** Sorts ids (lowercase UUID text) byte-wise, the order of PostgreSQL's uuid comparison. */
export function sortIds(ids: string[]): string[] {
  return ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Comparator for records by id (byte-wise = uuid order). */
export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Validates an optional lease guard argument. */
export function checkGuard(guard: unknown): LeaseGuard | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard !== 'object') throw new ValidationError('guard must be an object { claimedBy, heartbeatBefore? }', { field: 'guard' });
  const g = guard as { claimedBy?: unknown; heartbeatBefore?: unknown };
  const out: LeaseGuard = { claimedBy: check.text(g.claimedBy, 'guard.claimedBy') };
  if (g.heartbeatBefore !== undefined) out.heartbeatBefore = check.date(g.heartbeatBefore, 'guard.heartbeatBefore');
  return out;
}

/** A list of strings bound as text[]: U+0000 cannot be stored or compared by PostgreSQL. */
export function textList(v: unknown, field: string): string[] {
  const names = check.names(v, field);
  if (names.some((n) => n.includes('\u0000'))) throw new ValidationError(`${field} contains U+0000`, { field, reason: 'InvalidCharacters' });
  return names;
}
