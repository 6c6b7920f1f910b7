/**
 * Helpers shared by every module: value encoding, row decoding, inserts built from the
 * schema's column lists, execution-event writing, and the follow-up reads that turn an
 * unmatched conditional UPDATE into NotFoundError / ClaimLostError / false.
 */
import {
  bytesToUuid,
  chunk,
  ClaimLostError,
  CONTEXTS,
  CRON_EXECUTIONS,
  CRON_SCHEDULES,
  encodeJson,
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
  uuidToBytes,
  WORKFLOW_PACKAGES,
  WORKFLOW_REGISTRY,
  type ContextRecord,
  type CronExecution,
  type CronSchedule,
  type ExecutionEvent,
  type NotFoundEntity,
  type PendingEvent,
  type PipelineExecution,
  type RecoveryEvent,
  type TableDef,
  type TaskExecution,
  type TaskExecutionMetadata,
  type WorkflowPackage,
  type WorkflowRegistryEntry,
} from '@cloacina/core';
import type { Queries, Row } from './connection.js';
import type { Ctx, Env } from './scope.js';

/** Bound parameters per statement; far below SQLite's limit (32766 since 3.32, 999 before). */
export const MAX_PARAMS = 900;

export const U = (id: string): Buffer => uuidToBytes(id);
export const bytesId = (b: Uint8Array): string => bytesToUuid(b);
export const TS = (d: Date): string => encodeTimestamp(d);
export const J = (v: unknown): string => encodeJson(v);
export const placeholders = (n: number): string => new Array<string>(n).fill('?').join(', ');

export const decode = {
  context: rowDecoder<ContextRecord>(CONTEXTS, 'sqlite'),
  pipeline: rowDecoder<PipelineExecution>(PIPELINE_EXECUTIONS, 'sqlite'),
  task: rowDecoder<TaskExecution>(TASK_EXECUTIONS, 'sqlite'),
  metadata: rowDecoder<TaskExecutionMetadata>(TASK_EXECUTION_METADATA, 'sqlite'),
  recoveryEvent: rowDecoder<RecoveryEvent>(RECOVERY_EVENTS, 'sqlite'),
  executionEvent: rowDecoder<ExecutionEvent>(EXECUTION_EVENTS, 'sqlite'),
  cronSchedule: rowDecoder<CronSchedule>(CRON_SCHEDULES, 'sqlite'),
  cronExecution: rowDecoder<CronExecution>(CRON_EXECUTIONS, 'sqlite'),
  registry: rowDecoder<WorkflowRegistryEntry>(WORKFLOW_REGISTRY, 'sqlite'),
  pkg: rowDecoder<WorkflowPackage>(WORKFLOW_PACKAGES, 'sqlite'),
} as const;

const encoders = new Map<TableDef, ReturnType<typeof rowEncoder>>();

/**
 * Encodes full camelCase records (every column given explicitly, 01 §1) into raw rows.
 * The raw rows are what gets inserted and, decoded again, what the method returns, so a
 * returned record always equals what a later read yields.
 */
export function encodeRows(table: TableDef, records: readonly Record<string, unknown>[]): { columns: string[]; rows: unknown[][] } {
  let enc = encoders.get(table);
  if (!enc) encoders.set(table, (enc = rowEncoder(table, 'sqlite')));
  let columns: string[] = [];
  const rows = records.map((r) => {
    const e = enc!(r);
    columns = e.columns;
    return e.values;
  });
  return { columns, rows };
}

/** Multi-row INSERT, chunked below the parameter limit. Returns the raw rows written. */
export async function insertRows(q: Queries, table: TableDef, records: readonly Record<string, unknown>[]): Promise<Row[]> {
  if (records.length === 0) return [];
  const { columns, rows } = encodeRows(table, records);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const tuple = `(${placeholders(columns.length)})`;
  for (const part of chunk(rows, perStatement)) {
    const sql = `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${part.map(() => tuple).join(', ')}`;
    await q.run(sql, part.flat());
  }
  return rows.map((values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])));
}

/** INSERT … ON CONFLICT (target) DO NOTHING RETURNING *: the row, or null when it already existed. */
export async function insertIfAbsent(q: Queries, table: TableDef, record: Record<string, unknown>, target: string[]): Promise<Row | null> {
  const { columns, rows } = encodeRows(table, [record]);
  const sql =
    `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${placeholders(columns.length)}) ` +
    `ON CONFLICT (${target.join(', ')}) DO NOTHING RETURNING *`;
  const out = await q.all(sql, rows[0]);
  return out[0] ?? null;
}

/**
 * Writes the execution events of one call (01 §7.3): ordered task events first (task id
 * order), then pipeline events; ids drawn in that order, after every other row of the call.
 * Buffers one signal per event (coalesced by the buffer).
 */
export async function writeEvents(c: Ctx, env: Env, now: Date, events: readonly PendingEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ordered = orderEvents(events);
  const records = ordered.map((e) => ({
    id: env.newId(),
    pipelineExecutionId: e.pipelineExecutionId,
    taskExecutionId: e.taskExecutionId,
    eventType: e.eventType,
    eventData: e.eventData,
    runnerId: e.runnerId,
    createdAt: now,
  }));
  await insertRows(c, EXECUTION_EVENTS, records);
  for (const e of ordered) c.signal(e.eventType, e.pipelineExecutionId, e.taskExecutionId);
}

/** True if a row with this id exists in the table. */
export async function exists(q: Queries, table: string, id: string): Promise<boolean> {
  const row = await q.get(`SELECT 1 AS x FROM ${table} WHERE id = ?`, [U(id)]);
  return row !== undefined;
}

/** After a guarded UPDATE matched nothing: false if the row exists, NotFoundError otherwise. */
export async function guardMiss(q: Queries, table: string, entity: NotFoundEntity, id: string): Promise<false> {
  if (await exists(q, table, id)) return false;
  throw new NotFoundError(entity, id);
}

/** After an unconditional UPDATE changed nothing. */
export function requireChanged(changes: number, entity: NotFoundEntity, id: string): void {
  if (changes === 0) throw new NotFoundError(entity, id);
}

/** After a fenced UPDATE matched nothing: NotFoundError or ClaimLostError with the current lease. */
export async function fenceMiss(q: Queries, id: string, runnerId: string): Promise<never> {
  const row = await q.get<{ status: string; claimed_by: string | null }>(
    'SELECT status, claimed_by FROM task_executions WHERE id = ?',
    [U(id)],
  );
  if (!row) throw new NotFoundError('TaskExecution', id);
  throw new ClaimLostError(id, runnerId, row.status, row.claimed_by);
}

/** Sorts lowercase UUID strings (their order equals byte order). */
export function sortIds(ids: string[]): string[] {
  return ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Distinct values in first-occurrence order. */
export function distinct<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** `col IN (?, …)` over chunks of ids, collecting every chunk's rows. */
export async function selectByIds(
  q: Queries,
  ids: readonly string[],
  reserved: number,
  build: (inList: string) => string,
  params: (chunkIds: Buffer[]) => unknown[],
): Promise<Row[]> {
  const out: Row[] = [];
  for (const part of chunk(ids, MAX_PARAMS - reserved)) {
    const rows = await q.all(build(placeholders(part.length)), params(part.map(U)));
    out.push(...rows);
  }
  return out;
}
