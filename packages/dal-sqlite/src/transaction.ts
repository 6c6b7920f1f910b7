/**
 * Transactions (02 §2.4): the outermost one holds the writer lock from BEGIN IMMEDIATE to
 * COMMIT/ROLLBACK; tx.transaction() nests with SAVEPOINTs. Inside a transaction every call
 * runs on its connection one at a time (an inner FIFO lock, so concurrent calls on one `tx`
 * never interleave their statements), and multi-statement methods run inside a SAVEPOINT so
 * a typed error they throw midway undoes their own writes and leaves the caller's
 * transaction usable (02 §1).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ConfigurationError,
  DatabaseError,
  FifoLock,
  runInTransactionScope,
  SignalBuffer,
  type Signal,
} from '@cloacina/core';
import type { Connection, Queries } from './connection.js';
import { txAbortedError } from './errors.js';
import { ctxFor, rollbackQuietly, type Ctx, type Env, type RootHost, type Scope } from './scope.js';

/** State shared by every nesting level of one outermost transaction. */
export class TxShared {
  aborted = false;
  abortCause: unknown = undefined;
  /** Serialises calls on the transaction's single connection. */
  readonly lock = new FifoLock();
  private seq = 0;

  constructor(readonly conn: Connection) {}

  nextName(prefix: string): string {
    return `${prefix}_${++this.seq}`;
  }

  /** Only database errors poison the transaction (typed errors leave it usable). */
  noteError(err: unknown): void {
    if (err instanceof DatabaseError && !this.aborted) {
      this.aborted = true;
      this.abortCause = err;
    }
  }
}

/** One nesting level: the outermost transaction or a savepoint opened by tx.transaction(). */
export class TxLevel {
  finished = false;
  readonly signals = new SignalBuffer(null);
  /** Sibling tx.transaction() calls run one after another, so savepoints stay properly nested. */
  readonly nestLock = new FifoLock();

  constructor(readonly shared: TxShared) {}

  ensureUsable(): void {
    if (this.finished) throw new ConfigurationError('transaction already finished');
    if (this.shared.aborted) throw txAbortedError(this.shared.abortCause);
  }
}

export class TxScope implements Scope {
  constructor(
    readonly env: Env,
    readonly level: TxLevel,
  ) {}

  read<T>(fn: (q: Queries) => Promise<T>): Promise<T> {
    return this.run(fn, false);
  }

  write<T>(fn: (c: Ctx) => Promise<T>): Promise<T> {
    return this.run(fn, false);
  }

  atomic<T>(fn: (c: Ctx) => Promise<T>): Promise<T> {
    return this.run(fn, true);
  }

  private async run<T>(fn: (c: Ctx) => Promise<T>, savepoint: boolean): Promise<T> {
    const { level } = this;
    const shared = level.shared;
    const conn = shared.conn;
    level.ensureUsable();
    const release = await shared.lock.acquire();
    try {
      level.ensureUsable();
      if (!savepoint) {
        try {
          return await fn(ctxFor(conn, level.signals));
        } catch (err) {
          shared.noteError(err);
          throw err;
        }
      }
      const name = shared.nextName('cloacina_call');
      const buf = new SignalBuffer(null);
      try {
        await conn.exec(`SAVEPOINT ${name}`);
      } catch (err) {
        shared.noteError(err);
        throw err;
      }
      try {
        const result = await fn(ctxFor(conn, buf));
        await conn.exec(`RELEASE ${name}`);
        level.signals.absorb(buf);
        return result;
      } catch (err) {
        if (err instanceof DatabaseError) {
          shared.noteError(err);
        } else {
          try {
            await conn.exec(`ROLLBACK TO ${name}`);
            await conn.exec(`RELEASE ${name}`);
          } catch (undoErr) {
            shared.noteError(undoErr);
          }
        }
        throw err;
      }
    } finally {
      release();
    }
  }
}

/** dal.transaction(fn) on the root: BEGIN IMMEDIATE holding the writer lock until the end (02 §2.4). */
export async function rootTransaction<T, D>(host: RootHost, makeDal: (level: TxLevel) => D, fn: (tx: D) => Promise<T>): Promise<T> {
  host.enter();
  let result: T;
  let signals: Signal[] = [];
  const release = await host.pool.acquireWriter();
  let releaseTurn: (() => void) | undefined;
  try {
    host.pool.assertOpen();
    releaseTurn = await host.pool.acquireWriteTurn();
    const conn = host.pool.writer;
    await conn.exec('BEGIN IMMEDIATE');
    const shared = new TxShared(conn);
    const level = new TxLevel(shared);
    let failed = false;
    let error: unknown;
    try {
      result = await runInTransactionScope(host.identity, () => fn(makeDal(level)));
    } catch (err) {
      failed = true;
      error = err;
    }
    // Let calls still queued on tx finish before ending the transaction.
    const inner = await shared.lock.acquire();
    level.finished = true;
    try {
      if (failed) {
        await rollbackQuietly(conn);
        throw error;
      }
      if (shared.aborted) {
        // fn caught the database error and resolved: still roll back, and say so.
        await rollbackQuietly(conn);
        throw txAbortedError(shared.abortCause);
      }
      try {
        await conn.exec('COMMIT');
      } catch (err) {
        await rollbackQuietly(conn);
        throw err;
      }
    } finally {
      inner();
    }
    signals = level.signals.drain();
  } finally {
    releaseTurn?.();
    release();
  }
  host.publish(signals);
  return result!;
}

/** tx.transaction(fn): a SAVEPOINT; a rejection rolls back to it only. */
export async function nestedTransaction<T, D>(
  parent: TxLevel,
  identity: object,
  makeDal: (level: TxLevel) => D,
  fn: (tx: D) => Promise<T>,
): Promise<T> {
  parent.ensureUsable();
  // Re-entrant for calls made from inside one of this level's own nested callbacks (which
  // already hold the lock); concurrent siblings queue.
  const held = nestHeld.getStore();
  const releaseNest = held?.has(parent) ? () => undefined : await parent.nestLock.acquire();
  try {
    return await openSavepoint(parent, identity, makeDal, fn, new Set([...(held ?? []), parent]));
  } finally {
    releaseNest();
  }
}

const nestHeld = new AsyncLocalStorage<ReadonlySet<TxLevel>>();

async function openSavepoint<T, D>(
  parent: TxLevel,
  identity: object,
  makeDal: (level: TxLevel) => D,
  fn: (tx: D) => Promise<T>,
  held: ReadonlySet<TxLevel>,
): Promise<T> {
  const shared = parent.shared;
  const conn = shared.conn;
  const name = shared.nextName('cloacina_tx');
  const opening = await shared.lock.acquire();
  try {
    parent.ensureUsable();
    await conn.exec(`SAVEPOINT ${name}`);
  } catch (err) {
    shared.noteError(err);
    throw err;
  } finally {
    opening();
  }
  const child = new TxLevel(shared);
  let result: T;
  let failed = false;
  let error: unknown;
  try {
    result = await nestHeld.run(held, () => runInTransactionScope(identity, () => fn(makeDal(child))));
  } catch (err) {
    failed = true;
    error = err;
  }
  const closing = await shared.lock.acquire();
  child.finished = true;
  try {
    if (failed || shared.aborted) {
      const cause = shared.abortCause;
      try {
        await conn.exec(`ROLLBACK TO ${name}`);
        await conn.exec(`RELEASE ${name}`);
        // Like PostgreSQL: rolling back to the savepoint makes the outer transaction usable again.
        shared.aborted = false;
        shared.abortCause = undefined;
      } catch (undoErr) {
        shared.noteError(undoErr);
        if (!failed) throw undoErr;
      }
      if (failed) throw error;
      throw txAbortedError(cause);
    }
    try {
      await conn.exec(`RELEASE ${name}`);
    } catch (err) {
      shared.noteError(err);
      throw err;
    }
    parent.signals.absorb(child.signals);
  } finally {
    closing();
  }
  return result!;
}
