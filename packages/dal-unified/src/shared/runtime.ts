/**
 * Execution scopes. Every module method runs its statements through a Scope:
 *   - the root scope leases a connection per call (`run`) or opens a self-owned transaction
 *     (`atomic`, retried on PostgreSQL serialization failures and deadlocks);
 *   - a transaction scope runs everything on the transaction's connection and joins it.
 * Transaction bookkeeping (finished, TX_ABORTED, signal buffer) is core's TxState; signals are
 * published to the process hub only after the outermost commit.
 */
import type { DataSource } from 'typeorm';
import {
  assertOutsideOwnTransaction,
  ConfigurationError,
  DatabaseError,
  drawId,
  readClock,
  runInTransactionScope,
  signalHub,
  TxState,
  type Backend,
  type Logger,
  type Signal,
  type SignalBus,
} from '@cloacina/core';
import type { Dialect } from '../dialect/index.js';
import { isRetryableConflict } from '../errors.js';
import { Session } from './session.js';
import type { Params, Tables } from './tables.js';

export interface RuntimeConfig {
  ds: DataSource;
  dialect: Dialect;
  tables: Tables;
  params: Params;
  schema: string | null;
  clock: () => Date;
  idGenerator: () => string;
  runnerId: string | null;
  logger: Logger | undefined;
}

const MAX_CONFLICT_RETRIES = 3;

/** Per-DAL-instance state shared by the root object and every transaction-bound object. */
export class Runtime {
  readonly ds: DataSource;
  readonly d: Dialect;
  readonly t: Tables;
  readonly p: Params;
  readonly backend: Backend;
  readonly schema: string | null;
  readonly runnerId: string | null;
  readonly logger: Logger | undefined;
  readonly bus: SignalBus;
  /** Identity used to detect root-DAL calls inside this DAL's own transaction callbacks. */
  readonly token: object = {};
  closed = false;
  /** Set when the database's schema is newer than this library: every call is refused. */
  refusal: ConfigurationError | null = null;
  private readonly clock: () => Date;
  private readonly idGenerator: () => string;
  private inflight = 0;
  private drainWaiters: (() => void)[] = [];

  constructor(c: RuntimeConfig) {
    this.ds = c.ds;
    this.d = c.dialect;
    this.t = c.tables;
    this.p = c.params;
    this.backend = c.dialect.backend;
    this.schema = c.schema;
    this.runnerId = c.runnerId;
    this.logger = c.logger;
    this.clock = c.clock;
    this.idGenerator = c.idGenerator;
    this.bus = signalHub.bus(c.dialect.signalKey);
  }

  /** The one `now` of a call (01 §1). */
  now(): Date {
    return readClock(this.clock);
  }

  newId(): string {
    return drawId(this.idGenerator);
  }

  publish(signals: Signal[]): void {
    if (signals.length > 0) signalHub.publish(this.d.signalKey, signals);
  }

  checkOpen(): void {
    if (this.closed) throw new ConfigurationError('DAL is closed');
    if (this.refusal) throw this.refusal;
  }

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    if (--this.inflight === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves once no call is in flight. */
  drained(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((r) => this.drainWaiters.push(r));
  }
}

export interface Scope {
  readonly rt: Runtime;
  /** Throws unless a call may start now (DAL open, transaction usable, no root call inside its own transaction). */
  guard(): void;
  /** Statements without a transaction of their own (joins the transaction of a tx scope). */
  run<T>(fn: (s: Session) => Promise<T>): Promise<T>;
  /** Statements that must commit together: a self-owned transaction, or the caller's. */
  atomic<T>(fn: (s: Session, tx: TxState) => Promise<T>): Promise<T>;
  /** A transaction (root) or a savepoint (inside a transaction) around `fn`. */
  transaction<T>(fn: (scope: Scope) => Promise<T>): Promise<T>;
}

function abortedError(backend: Backend): DatabaseError {
  return new DatabaseError('transaction aborted by an earlier database error; it was rolled back', { backend, dbCode: 'TX_ABORTED' });
}

/** BEGIN … COMMIT on a leased connection; ROLLBACK on any failure; publish after commit. */
export async function runTransaction<T>(rt: Runtime, body: (s: Session, tx: TxState) => Promise<T>): Promise<T> {
  const lease = await rt.d.acquire();
  const s = new Session(rt.ds, rt.d, lease.qr);
  const tx = new TxState(rt.backend, rt.schema);
  try {
    await s.exec(rt.d.beginSql);
    let result: T;
    try {
      result = await body(s, tx);
      if (tx.aborted) throw abortedError(rt.backend);
    } catch (err) {
      tx.finished = true;
      await s.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
    tx.finished = true;
    const signals = tx.signals.drain();
    try {
      await rt.d.commit(s, signals);
    } catch (err) {
      await s.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
    rt.publish(signals);
    return result;
  } finally {
    tx.finished = true;
    lease.release();
  }
}

export class RootScope implements Scope {
  constructor(readonly rt: Runtime) {}

  guard(): void {
    this.rt.checkOpen();
    assertOutsideOwnTransaction(this.rt.token);
  }

  async run<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    this.guard();
    this.rt.enter();
    try {
      const lease = await this.rt.d.acquire();
      try {
        return await fn(new Session(this.rt.ds, this.rt.d, lease.qr));
      } finally {
        lease.release();
      }
    } finally {
      this.rt.leave();
    }
  }

  async atomic<T>(fn: (s: Session, tx: TxState) => Promise<T>): Promise<T> {
    this.guard();
    this.rt.enter();
    try {
      for (let retry = 0; ; retry++) {
        try {
          return await runTransaction(this.rt, fn);
        } catch (err) {
          if (retry < MAX_CONFLICT_RETRIES && isRetryableConflict(err)) continue;
          throw err;
        }
      }
    } finally {
      this.rt.leave();
    }
  }

  async transaction<T>(fn: (scope: Scope) => Promise<T>): Promise<T> {
    this.guard();
    this.rt.enter();
    try {
      // A caller's transaction is never retried: its callback may have side effects.
      return await runTransaction(this.rt, (s, tx) =>
        runInTransactionScope(this.rt.token, () => fn(new TxScope(this.rt, s, tx, { n: 0 }))),
      );
    } finally {
      this.rt.leave();
    }
  }
}

export class TxScope implements Scope {
  constructor(
    readonly rt: Runtime,
    private readonly s: Session,
    private readonly tx: TxState,
    private readonly savepoints: { n: number },
  ) {}

  guard(): void {
    this.tx.ensureUsable();
  }

  async run<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    this.guard();
    try {
      return await fn(this.s);
    } catch (err) {
      this.tx.noteError(err);
      throw err;
    }
  }

  async atomic<T>(fn: (s: Session, tx: TxState) => Promise<T>): Promise<T> {
    this.guard();
    try {
      return await fn(this.s, this.tx);
    } catch (err) {
      this.tx.noteError(err);
      throw err;
    }
  }

  /** Nested transaction as a savepoint: a failure rolls back to it and leaves the parent usable. */
  async transaction<T>(fn: (scope: Scope) => Promise<T>): Promise<T> {
    const name = `cloacina_sp_${++this.savepoints.n}`;
    await this.run((s) => s.exec(`SAVEPOINT ${name}`));
    const child = new TxState(this.rt.backend, this.rt.schema);
    let result: T;
    try {
      result = await runInTransactionScope(this.rt.token, () => fn(new TxScope(this.rt, this.s, child, this.savepoints)));
      if (child.aborted) throw abortedError(this.rt.backend);
    } catch (err) {
      child.finished = true;
      try {
        await this.s.exec(`ROLLBACK TO SAVEPOINT ${name}`);
        await this.s.exec(`RELEASE SAVEPOINT ${name}`);
      } catch (rollbackErr) {
        this.tx.noteError(rollbackErr);
      }
      throw err;
    }
    child.finished = true;
    await this.run((s) => s.exec(`RELEASE SAVEPOINT ${name}`));
    this.tx.signals.absorb(child.signals);
    return result;
  }
}
