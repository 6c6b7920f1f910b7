/**
 * A process-wide FIFO gate per database file, taken around every write (a BEGIN IMMEDIATE
 * transaction or an autocommit write) by every DAL instance of this process on that file.
 *
 * Why: SQLite lets one writer in at a time, and a connection waiting for the write lock sleeps
 * in its busy handler on a libuv worker thread. With several DAL instances on one file in one
 * process, the waiters can occupy every worker thread (4 by default), leaving none for the
 * lock holder's COMMIT: everything stalls until busy_timeout and fails with SQLITE_BUSY.
 * Queueing writers here instead keeps the waiting on the event loop, at no cost in
 * throughput (the file admits one writer anyway). Other processes are still arbitrated by
 * SQLite's own locking and busy_timeout, with at most one waiting thread per process and file.
 */
import { DatabaseError } from '../../errors/index.js';
import { FifoLock } from './fifo-lock.js';

interface Entry {
  lock: FifoLock;
  users: number;
}

const REGISTRY_KEY = Symbol.for('cloacina.sqliteWriteGates');
const g = globalThis as unknown as Record<symbol, Map<string, Entry> | undefined>;
// Shared even if several copies of this package are loaded in one process.
const gates: Map<string, Entry> = (g[REGISTRY_KEY] ??= new Map());

export class SqliteWriteGate {
  private released = false;
  private readonly entry: Entry;

  constructor(
    private readonly key: string,
    private readonly timeoutMs: number,
  ) {
    let entry = gates.get(key);
    if (!entry) gates.set(key, (entry = { lock: new FifoLock(), users: 0 }));
    entry.users++;
    this.entry = entry;
  }

  /**
   * Waits (FIFO) for the file's write turn, up to busy_timeout like SQLite itself would, then
   * fails the same way SQLite does: a transient SQLITE_BUSY.
   */
  acquire(): Promise<() => void> {
    const ms = this.timeoutMs;
    return this.entry.lock.acquire(ms, () =>
      new DatabaseError(`database is locked (waited ${ms} ms for another writer of this file in this process)`, {
        backend: 'sqlite',
        dbCode: 'SQLITE_BUSY',
        transient: true,
      }),
    );
  }

  /** Drops this instance's reference; the entry goes when its last user closes. */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.entry.users--;
    if (this.entry.users === 0 && !this.entry.lock.isLocked && gates.get(this.key) === this.entry) gates.delete(this.key);
  }
}
