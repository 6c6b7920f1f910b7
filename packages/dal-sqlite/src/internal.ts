/**
 * Helpers shared by every module: value encoding, row decoding, inserts built from the
 * schema's column lists, execution-event writing, and the follow-up reads that turn an
 * unmatched conditional UPDATE into NotFoundError / ClaimLostError / false.
 */
import {
  bytesToUuid,
  chunk,
  ClaimLostError,
  encodeJson,
  encodeTimestamp,
  EXECUTION_EVENTS,
  executionEventRecords,
  NotFoundError,
  recordDecoders,
  recordEncoder,
  uuidToBytes,
  type ExecutionEvent,
  type NotFoundEntity,
  type PendingEvent,
  type TableDef,
} from '@cloacina/core';
import type { Queries, Row } from './connection.js';
import type { Ctx, Env, Scope } from './scope.js';

/** Bound parameters per statement; far below SQLite's limit (32766 since 3.32, 999 before). */
export const MAX_PARAMS = 900;

export const U = (id: string): Buffer => uuidToBytes(id);
export const bytesId = (b: Uint8Array): string => bytesToUuid(b);
export const TS = (d: Date): string => encodeTimestamp(d);
export const J = (v: unknown): string => encodeJson(v);
export const placeholders = (n: number): string => new Array<string>(n).fill('?').join(', ');

/** Raw rows → records (schema-driven, shared with dal-postgres through core). */
export const decode = recordDecoders('sqlite');
const encode = recordEncoder('sqlite');

/**
 * Encodes full camelCase records (every column given explicitly, 01 §1) into raw rows.
 * The raw rows are what gets inserted and, decoded again, what the method returns, so a
 * returned record always equals what a later read yields.
 */
export function encodeRows(table: TableDef, records: readonly object[]): { columns: string[]; rows: unknown[][] } {
  let columns: string[] = [];
  const rows = records.map((r) => {
    const e = encode(table, r);
    columns = e.columns;
    return e.values;
  });
  return { columns, rows };
}

/**
 * Multi-row INSERT, chunked below the parameter limit. Returns the raw rows written. `suffix`
 * (e.g. an ON CONFLICT clause) is appended to every statement.
 */
export async function insertRows(q: Queries, table: TableDef, records: readonly object[], suffix = ''): Promise<Row[]> {
  if (records.length === 0) return [];
  const { columns, rows } = encodeRows(table, records);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const tuple = `(${placeholders(columns.length)})`;
  for (const part of chunk(rows, perStatement)) {
    const sql = `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${part.map(() => tuple).join(', ')}${suffix ? ` ${suffix}` : ''}`;
    await q.run(sql, part.flat());
  }
  return rows.map((values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])));
}

/**
 * Inserts one new row in a write of its own and returns it decoded: the call's `now` is read
 * first, then the id drawn (the order every create follows), and `build` completes the row.
 */
export function insertNew<R>(scope: Scope, table: TableDef, build: (id: string, now: Date) => object, decodeRow: (raw: Row) => R): Promise<R> {
  return scope.write(async (c) => {
    const now = scope.env.now();
    const [raw] = await insertRows(c, table, [build(scope.env.newId(), now)]);
    return decodeRow(raw!);
  });
}

/** INSERT … ON CONFLICT (target) DO NOTHING RETURNING *: the row, or null when it already existed. */
export async function insertIfAbsent(q: Queries, table: TableDef, record: object, target: string[]): Promise<Row | null> {
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
  await insertEvents(c, executionEventRecords(events, now, env.newId));
}

/**
 * Inserts event rows whose ids were drawn earlier (with executionEventRecords) and buffers their
 * signals. A call whose other inserts may fail draws every id first, as dal-unified does, so
 * both DALs have drawn the same ids when a constraint error stops the call.
 */
export async function insertEvents(c: Ctx, records: readonly ExecutionEvent[]): Promise<void> {
  if (records.length === 0) return;
  await insertRows(c, EXECUTION_EVENTS, records);
  for (const e of records) c.signal(e.eventType, e.pipelineExecutionId, e.taskExecutionId);
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
