import { AsyncLocalStorage } from 'node:async_hooks';
import { ConfigurationError, DatabaseError, type Backend } from '../../errors/index.js';
import { SignalBuffer } from './signals.js';

/**
 * Bookkeeping every DAL keeps for an open transaction: whether it has ended, whether a
 * DatabaseError poisoned it (TX_ABORTED, so SQLite behaves like PostgreSQL), and the
 * signals to publish after the outermost commit.
 */
export class TxState {
  finished = false;
  aborted = false;
  readonly signals: SignalBuffer;

  constructor(
    readonly backend: Backend,
    schema: string | null,
  ) {
    this.signals = new SignalBuffer(schema);
  }

  /** Call before every statement issued through a transaction-bound DAL. */
  ensureUsable(): void {
    if (this.finished) throw new ConfigurationError('transaction already finished');
    if (this.aborted) {
      throw new DatabaseError('current transaction is aborted, commands ignored until end of transaction block', {
        backend: this.backend,
        dbCode: 'TX_ABORTED',
      });
    }
  }

  /** Records a failure of a statement; only database errors abort the transaction. */
  noteError(err: unknown): void {
    if (err instanceof DatabaseError) this.aborted = true;
  }
}

const activeRoots = new AsyncLocalStorage<ReadonlySet<object>>();

/** Runs a transaction callback marked as "inside a transaction of `root`". */
export function runInTransactionScope<T>(root: object, fn: () => Promise<T>): Promise<T> {
  const current = activeRoots.getStore();
  const next = new Set(current ?? []);
  next.add(root);
  return activeRoots.run(next, fn);
}

/**
 * Refuses a call on the root DAL from inside one of its own transaction callbacks: it would
 * deadlock a one-connection SQLite pool or silently escape the transaction on PostgreSQL.
 */
export function assertOutsideOwnTransaction(root: object): void {
  if (activeRoots.getStore()?.has(root)) {
    throw new ConfigurationError('use the transaction-bound DAL inside transaction()');
  }
}
