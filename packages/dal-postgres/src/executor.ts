/**
 * Statement execution and transactions (02 §2.4). An `Exec` is bound either to the pool
 * (each statement on any free connection, autocommit) or to one level of an open
 * transaction (the outermost BEGIN or a SAVEPOINT). Modules receive an Exec and call
 * `exec.tx(fn)` for anything that writes more than one row: on the pool this opens a
 * self-owned transaction (retried on 40001/40P01), inside a transaction it joins it.
 */
import type pg from 'pg';
import { drawId, FifoLock, readClock, runInTransactionScope, SIGNAL_CHANNEL, signalHub, TxState, type ExecutionEventType, type Logger, type StatementNames } from '@cloacina/core';
import { isConnectionLoss, isRetryable, mapPgError, txAbortedError } from './errors.js';
import { notifyPayload } from './listen.js';
import type { PgPool } from './pool.js';

export type Row = Record<string, unknown>;

export interface QueryResult<R = Row> {
  rows: R[];
  rowCount: number;
}

/** Everything a DAL instance shares between its root object and its transactions. */
export interface Runtime {
  pool: PgPool;
  schema: string | null;
  signalKey: string;
  runnerId: string | null;
  clock: () => Date;
  idGenerator: () => string;
  secrets: readonly string[];
  logger?: Logger;
  /** Prepares the hot statements on the server (absent: nothing is prepared). */
  names?: StatementNames;
}

/** Retries of a self-owned transaction after a serialization failure or deadlock. */
const MAX_RETRIES = 3;


/** The connection of one open transaction and its stack of levels (outermost first). */
class TxConn {
  broken = false;
  savepoints = 0;
  readonly levels: TxLevel[] = [];
  // Concurrent calls on one `tx` (e.g. Promise.all) reach the connection one statement at a
  // time, in call order, instead of relying on pg's deprecated implicit query queue.
  private readonly lock = new FifoLock();
  constructor(readonly client: pg.PoolClient) {}

  run(sql: string | pg.QueryConfig, params?: unknown[]): Promise<pg.QueryResult> {
    return this.lock.run(() => (typeof sql === 'string' ? this.client.query(sql, params) : this.client.query(sql)));
  }

  innermost(): TxLevel | undefined {
    return this.levels[this.levels.length - 1];
  }
}

class TxLevel {
  readonly state: TxState;
  /** The database error that aborted this level, reported as the cause of TX_ABORTED. */
  abortCause: unknown;
  /** Savepoints opened from this level run one at a time (concurrent ones would interleave). */
  readonly children = new FifoLock();
  constructor(
    readonly conn: TxConn,
    readonly savepoint: string | null,
    schema: string | null,
  ) {
    this.state = new TxState('postgres', schema);
  }
}

export class Exec {
  constructor(
    readonly rt: Runtime,
    private readonly level: TxLevel | null = null,
  ) {}

  get inTransaction(): boolean {
    return this.level !== null;
  }

  /** One `now` per call (01 §1): read the clock once at the start of every method. */
  now(): Date {
    return readClock(this.rt.clock);
  }

  newId(): string {
    return drawId(this.rt.idGenerator);
  }

  /** Throws when this transaction level has ended or was aborted (used at method entry). */
  ensureUsable(): void {
    this.level?.state.ensureUsable();
  }

  private config(sql: string, params: unknown[]): pg.QueryConfig {
    return this.rt.names?.config(sql, params) ?? { text: sql, values: params };
  }

  async query<R = Row>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    if (this.level === null) {
      const client = await this.rt.pool.acquire();
      let failure: unknown;
      try {
        const r = await client.query(this.config(sql, params));
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      } catch (err) {
        failure = err;
        throw mapPgError(err, this.rt.secrets);
      } finally {
        this.rt.pool.release(client, failure);
      }
    }
    this.level.state.ensureUsable();
    const conn = this.level.conn;
    try {
      const r = await conn.run(this.config(sql, params));
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    } catch (err) {
      const mapped = mapPgError(err, this.rt.secrets);
      if (isConnectionLoss(err)) {
        conn.broken = true;
        for (const l of conn.levels) l.state.noteError(mapped);
      }
      // PostgreSQL aborts the innermost open (sub)transaction, whichever level issued it.
      const target = conn.innermost() ?? this.level;
      if (!target.state.aborted) target.abortCause = mapped;
      target.state.noteError(mapped);
      throw mapped;
    }
  }

  async rows<R = Row>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.query<R>(sql, params)).rows;
  }

  /** Buffers a signal for the current transaction (published after the outermost commit). */
  signal(type: ExecutionEventType, pipelineExecutionId: string, taskExecutionId: string | null): void {
    if (!this.level) throw new Error('internal: signal outside a transaction');
    this.level.state.signals.add(type, pipelineExecutionId, taskExecutionId);
  }

  /** Joins the current transaction, or runs fn in a self-owned one retried on 40001/40P01. */
  async tx<T>(fn: (e: Exec) => Promise<T>): Promise<T> {
    if (this.level) return fn(this);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.runOutermost(fn, null);
      } catch (err) {
        if (attempt < MAX_RETRIES && isRetryable(err)) continue;
        throw err;
      }
    }
  }

  /**
   * A caller's transaction (`dal.transaction` / `tx.transaction`): a new outermost
   * transaction on the pool, or a savepoint inside the current one. `scope` marks the
   * callback as running inside the root DAL's transaction (root calls are refused there).
   */
  userTransaction<T>(fn: (e: Exec) => Promise<T>, scope: object): Promise<T> {
    return this.level ? this.runNested(fn, scope) : this.runOutermost(fn, scope);
  }

  private async runOutermost<T>(fn: (e: Exec) => Promise<T>, scope: object | null): Promise<T> {
    const client = await this.rt.pool.acquire();
    const conn = new TxConn(client);
    try {
      try {
        await conn.run('BEGIN ISOLATION LEVEL READ COMMITTED');
      } catch (err) {
        conn.broken = isConnectionLoss(err);
        throw mapPgError(err, this.rt.secrets);
      }
      const level = new TxLevel(conn, null, this.rt.schema);
      conn.levels.push(level);
      const inner = new Exec(this.rt, level);
      let result: T;
      try {
        result = scope ? await runInTransactionScope(scope, () => fn(inner)) : await fn(inner);
      } catch (err) {
        await this.rollback(conn, level);
        throw err;
      }
      if (level.state.aborted) {
        await this.rollback(conn, level);
        throw txAbortedError(level.abortCause);
      }
      const signals = level.state.signals.drain();
      try {
        // One round trip: the NOTIFYs (delivered only if the transaction commits) and the COMMIT
        // as one simple-protocol query. Payloads hold ids, vocabulary words and a validated
        // schema name; quotes are doubled all the same.
        const notifies = signals.map((s) => `NOTIFY ${SIGNAL_CHANNEL}, '${notifyPayload(this.rt.schema, s).replace(/'/g, "''")}'; `);
        await conn.run(`${notifies.join('')}COMMIT`);
      } catch (err) {
        if (isConnectionLoss(err)) conn.broken = true;
        await this.rollback(conn, level);
        throw mapPgError(err, this.rt.secrets);
      }
      level.state.finished = true;
      conn.levels.pop();
      signalHub.publish(this.rt.signalKey, signals);
      return result;
    } finally {
      for (const l of conn.levels) l.state.finished = true;
      this.rt.pool.release(client, conn.broken ? true : undefined);
    }
  }

  private async rollback(conn: TxConn, level: TxLevel): Promise<void> {
    level.state.finished = true;
    for (const l of conn.levels) l.state.finished = true;
    conn.levels.length = 0;
    if (conn.broken) return;
    try {
      await conn.run('ROLLBACK');
    } catch {
      // The connection is unusable; it is discarded instead of returned to the pool.
      conn.broken = true;
    }
  }

  private async runNested<T>(fn: (e: Exec) => Promise<T>, scope: object): Promise<T> {
    const parent = this.level!;
    return parent.children.run(() => this.runSavepoint(parent, fn, scope));
  }

  private async runSavepoint<T>(parent: TxLevel, fn: (e: Exec) => Promise<T>, scope: object): Promise<T> {
    const conn = parent.conn;
    const name = `cloacina_sp_${++conn.savepoints}`;
    await this.query(`SAVEPOINT ${name}`);
    const level = new TxLevel(conn, name, this.rt.schema);
    conn.levels.push(level);
    const inner = new Exec(this.rt, level);
    let result: T;
    try {
      result = await runInTransactionScope(scope, () => fn(inner));
    } catch (err) {
      await this.rollbackToSavepoint(level, parent);
      throw err;
    }
    if (level.state.aborted) {
      const cause = level.abortCause;
      await this.rollbackToSavepoint(level, parent);
      throw txAbortedError(cause);
    }
    try {
      await conn.run(`RELEASE SAVEPOINT ${name}`);
    } catch (err) {
      const mapped = mapPgError(err, this.rt.secrets);
      if (!parent.state.aborted) parent.abortCause = mapped;
      parent.state.noteError(mapped);
      this.popLevel(level);
      throw mapped;
    }
    this.popLevel(level);
    parent.state.signals.absorb(level.state.signals);
    return result;
  }

  /** Undoes a savepoint; the parent stays usable unless the rollback itself fails. */
  private async rollbackToSavepoint(level: TxLevel, parent: TxLevel): Promise<void> {
    const conn = level.conn;
    this.popLevel(level);
    level.state.signals.drain();
    if (conn.broken || parent.state.finished) return;
    try {
      await conn.run(`ROLLBACK TO SAVEPOINT ${level.savepoint}`);
      await conn.run(`RELEASE SAVEPOINT ${level.savepoint}`);
    } catch (err) {
      const mapped = mapPgError(err, this.rt.secrets);
      if (isConnectionLoss(err)) conn.broken = true;
      if (!parent.state.aborted) parent.abortCause = mapped;
      parent.state.noteError(mapped);
    }
  }

  private popLevel(level: TxLevel): void {
    level.state.finished = true;
    const i = level.conn.levels.indexOf(level);
    if (i >= 0) level.conn.levels.splice(i);
  }
}
