/**
 * Write helpers shared by every module: multi-row inserts, execution-event writing (with the
 * signal buffered for after-commit delivery), fenced and guarded task transitions, and chunked
 * id lists. Kept in one place so the id draw order and event shapes cannot drift per module.
 */
import {
  chunk,
  ClaimLostError,
  executionEventRecords,
  leaseGuardArg,
  NotFoundError,
  type NotFoundEntity,
  type PendingEvent,
  type ExecutionEvent,
  type TxState,
} from '@cloacina/core';
import type { ListType } from '../dialect/index.js';
import type { Runtime, Scope } from './runtime.js';
import type { Raw, Session } from './session.js';
import type { TableIO } from './tables.js';

const MAX_ROWS_PER_INSERT = 500;

/** Multi-row INSERT of full records (entity column order), chunked below the parameter limit. */
export async function insertRows<R>(s: Session, t: TableIO<R>, records: readonly Partial<R>[]): Promise<void> {
  if (records.length === 0) return;
  const width = t.columns.length;
  const perStatement = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(s.d.maxParams / width)));
  for (const part of chunk(records, perStatement)) {
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const r of part) {
      const values = t.row(r);
      const start = params.length;
      tuples.push(`(${values.map((_, i) => `$${start + i + 1}`).join(', ')})`);
      params.push(...values);
    }
    await s.exec(`INSERT INTO ${t.name} (${t.columnList}) VALUES ${tuples.join(', ')}`, params);
  }
}

/** One INSERT of a combined write: full records of `t`, optionally followed by `suffix` (e.g. ON CONFLICT …). */
export interface InsertPart {
  t: TableIO<unknown>;
  records: readonly unknown[];
  suffix?: string;
}

/** Any other write statement of a combined write, parameters numbered from $1 (no `$` in literals). */
export interface RawPart {
  sql: string;
  params: readonly unknown[];
}

/** `INSERT INTO t (…) VALUES (…), …[ suffix]` with parameters numbered from `first`. */
function insertSql(part: InsertPart, first: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const r of part.records) {
    const values = part.t.row(r as Partial<unknown>);
    const start = first + params.length;
    tuples.push(`(${values.map((_, i) => `$${start + i}`).join(', ')})`);
    params.push(...values);
  }
  const suffix = part.suffix ? ` ${part.suffix}` : '';
  return { sql: `INSERT INTO ${part.t.name} (${part.t.columnList}) VALUES ${tuples.join(', ')}${suffix}`, params };
}

/**
 * Runs the INSERTs of one call in the given order. On PostgreSQL, when they fit one statement's
 * parameter and row limits, they go as one statement (the earlier ones as data-modifying CTEs,
 * which always run to completion; constraints are checked at the end of the statement), so the
 * call pays one round trip instead of one per INSERT. Otherwise each runs as before.
 */
export async function insertAll(s: Session, parts: readonly (InsertPart | RawPart)[]): Promise<void> {
  const live = parts.filter((p) => 'sql' in p || p.records.length > 0);
  if (live.length === 0) return;
  const params = live.reduce((n, p) => n + ('sql' in p ? p.params.length : p.records.length * p.t.columns.length), 0);
  const rowsFit = live.every((p) => 'sql' in p || p.records.length <= MAX_ROWS_PER_INSERT);
  if (live.length > 1 && s.d.backend === 'postgres' && rowsFit && params <= s.d.maxParams) {
    const all: unknown[] = [];
    const sqls = live.map((p) => {
      const offset = all.length;
      const part = 'sql' in p ? { sql: p.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`), params: p.params } : insertSql(p, offset + 1);
      all.push(...part.params);
      return part.sql;
    });
    const last = sqls.pop()!;
    await s.exec(`WITH ${sqls.map((q, i) => `w${i} AS (${q})`).join(', ')} ${last}`, all);
    return;
  }
  for (const p of live) {
    if ('sql' in p) {
      await s.exec(p.sql, p.params);
    } else if (p.suffix) {
      for (const part of chunk(p.records, MAX_ROWS_PER_INSERT)) {
        const q = insertSql({ ...p, records: part }, 1);
        await s.exec(q.sql, q.params);
      }
    } else {
      await insertRows(s, p.t, p.records as readonly Partial<unknown>[]);
    }
  }
}

/**
 * Inserts one new row in a statement of its own and returns its record: the call's `now` is
 * read first, then the id drawn (the order every create follows), and `build` completes the row.
 */
export function insertNew<R>(x: Scope, t: TableIO<R>, build: (id: string, now: Date) => R): Promise<R> {
  return x.run(async (s) => {
    const now = x.rt.now();
    const record = build(x.rt.newId(), now);
    await insertRows(s, t, [record]);
    return record;
  });
}

/** Short name for core's pendingEvent(type, pipeline, task, data, runner), used by every module. */
export { pendingEvent as ev } from '@cloacina/core';

/**
 * Writes a call's execution events (02 §1 order: task events by task id, then pipeline events;
 * ids drawn in that order, after every other row of the call) and buffers their signals.
 */
export async function writeEvents(s: Session, rt: Runtime, tx: TxState, now: Date, events: readonly PendingEvent[]): Promise<void> {
  if (events.length === 0) return;
  await insertRows(s, rt.t.executionEvents, eventRows(rt, tx, now, events));
}

/**
 * writeEvents without the INSERT: draws the events' ids (same order), buffers their signals and
 * returns the rows, for a caller that writes them together with its other rows (insertAll).
 */
export function eventRows(rt: Runtime, tx: TxState, now: Date, events: readonly PendingEvent[]): ExecutionEvent[] {
  if (events.length === 0) return [];
  const rows = executionEventRecords(events, now, () => rt.newId());
  for (const e of rows) tx.signals.add(e.eventType, e.pipelineExecutionId, e.taskExecutionId);
  return rows;
}

/**
 * Runs `fn` over chunks of `values` sized for the dialect's IN lists, each with its IN clause
 * built from parameter number `first`.
 */
export async function forChunks<T>(
  s: Session,
  expr: string,
  first: number,
  values: readonly unknown[],
  type: ListType,
  fn: (inSql: string, inParams: unknown[]) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  const size = Number.isFinite(s.d.listChunk) ? s.d.listChunk : Math.max(values.length, 1);
  for (const part of chunk(values, size)) {
    const { sql, params } = s.d.inList(expr, first, part, type);
    out.push(...(await fn(sql, params)));
  }
  return out;
}

/**
 * Fenced task transition (01 §7.2): one conditional UPDATE … RETURNING that applies only while
 * the task is Running and claimed by `runnerId`. When nothing is returned, a follow-up read
 * tells NotFoundError from ClaimLostError; nothing has been written in either case.
 * `set` may use parameters from $3 ($1 = id, $2 = runner id).
 */
export async function fencedUpdate(
  s: Session,
  rt: Runtime,
  id: string,
  runnerId: string,
  set: string,
  setParams: readonly unknown[],
  returning: string,
): Promise<Raw> {
  const idParam = rt.p.uuid(id);
  const row = await s.first(
    `UPDATE task_executions SET ${set} WHERE id = $1 AND status = 'Running' AND claimed_by = $2 RETURNING ${returning}`,
    [idParam, runnerId, ...setParams],
  );
  if (row) return row;
  const cur = await s.first('SELECT status, claimed_by FROM task_executions WHERE id = $1', [idParam]);
  if (!cur) throw new NotFoundError('TaskExecution', id);
  throw new ClaimLostError(id, runnerId, String(cur.status), (cur.claimed_by as string | null) ?? null);
}

/**
 * Guarded transition: one conditional UPDATE … RETURNING (`where` restricts the source state,
 * parameters from $2; $1 = id). Returns the row, or null when the row exists but the guard
 * refused (the caller returns false); throws NotFoundError when the row does not exist.
 */
export async function guardedUpdate(
  s: Session,
  t: TableIO<unknown>,
  entity: NotFoundEntity,
  id: string,
  idParam: unknown,
  set: string,
  where: string,
  params: readonly unknown[],
  returning: string,
): Promise<Raw | null> {
  const row = await s.first(`UPDATE ${t.name} SET ${set} WHERE id = $1 AND ${where} RETURNING ${returning}`, [idParam, ...params]);
  if (row) return row;
  await mustExist(s, t, entity, id, idParam);
  return null;
}

/** Throws NotFoundError unless the row with this id exists. */
export async function mustExist(s: Session, t: TableIO<unknown>, entity: NotFoundEntity, id: string, idParam: unknown): Promise<void> {
  const found = await s.first(`SELECT 1 AS found FROM ${t.name} WHERE id = $1`, [idParam]);
  if (!found) throw new NotFoundError(entity, id);
}

/** UPDATE of one row by id that must exist (NotFoundError otherwise). `set` parameters from $2. */
export async function updateById(
  s: Session,
  t: TableIO<unknown>,
  entity: NotFoundEntity,
  id: string,
  idParam: unknown,
  set: string,
  params: readonly unknown[],
): Promise<void> {
  const r = await s.exec(`UPDATE ${t.name} SET ${set} WHERE id = $1`, [idParam, ...params]);
  if (r.affected === 0) throw new NotFoundError(entity, id);
}

/**
 * Renders an optional lease guard (validated by core) as a predicate, parameters from `first`:
 * the task must still be Running, held by `claimedBy`, with `heartbeat_at < heartbeatBefore`.
 */
export function leaseGuard(rt: Runtime, guard: unknown, first: number): { sql: string; params: unknown[] } | null {
  const g = leaseGuardArg(guard);
  if (!g) return null;
  let sql = `status = 'Running' AND claimed_by = $${first}`;
  const params: unknown[] = [g.claimedBy];
  if (g.heartbeatBefore !== undefined) {
    params.push(rt.p.ts(g.heartbeatBefore));
    sql += ` AND heartbeat_at < $${first + 1}`;
  }
  return { sql, params };
}
