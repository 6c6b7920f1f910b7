/**
 * The connections of one DAL instance (02 §2.3): one writer behind a FIFO lock, plus up to
 * poolSize − 1 read-only connections (file databases only) that serve reads made outside a
 * transaction. Every write, every transaction and, when no reader is free, every read queues
 * on the writer lock, so an autocommit statement can never land inside another flow's
 * transaction and be rolled back with it. Writes also take the file's process-wide write turn
 * (core SqliteWriteGate) so that several DAL instances on one file never starve libuv's threads.
 */
import { ConfigurationError, FifoLock, type PoolStats } from '@cloacina/core';
import { Connection, type OpenSpec } from './connection.js';
import { poolTimeoutError } from './errors.js';
import { SqliteWriteGate as WriteGate } from '@cloacina/core';

export class Pool {
  readonly lock = new FifoLock();
  private readonly readers: Connection[] = [];
  private readonly idleReaders: Connection[] = [];
  private opening = 0;
  private activeReads = 0;
  private readsDrained: (() => void) | null = null;
  private closedConnections = false;

  private constructor(
    readonly writer: Connection,
    private readonly spec: OpenSpec,
    readonly max: number,
    readonly acquireTimeoutMs: number,
    private readonly gate: WriteGate,
  ) {}

  /**
   * Opens the writer only (fail fast); readers are opened on demand. `fileKey` identifies the
   * database file for the process-wide write gate (core SqliteWriteGate).
   */
  static async open(spec: OpenSpec, max: number, acquireTimeoutMs: number, fileKey: string): Promise<Pool> {
    const writer = await Connection.open({ ...spec, readOnly: false });
    return new Pool(writer, spec, max, acquireTimeoutMs, new WriteGate(fileKey, spec.busyTimeoutMs));
  }

  /** The file's write turn in this process; hold it from BEGIN IMMEDIATE (or an autocommit write) to the end. */
  acquireWriteTurn(): Promise<() => void> {
    return this.gate.acquire();
  }

  /** Writer lock, then the file's write turn: for autocommit writes and self-owned transactions. */
  async withWrite<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    return this.withWriter(async (conn) => {
      const release = await this.gate.acquire();
      try {
        return await fn(conn);
      } finally {
        release();
      }
    });
  }

  /** Takes the writer lock, FIFO, failing with POOL_TIMEOUT after acquireTimeoutMs. */
  acquireWriter(): Promise<() => void> {
    const ms = this.acquireTimeoutMs;
    return this.lock.acquire(ms, () => poolTimeoutError(ms));
  }

  async withWriter<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const release = await this.acquireWriter();
    try {
      this.assertOpen();
      return await fn(this.writer);
    } finally {
      release();
    }
  }

  /**
   * Runs a read outside any transaction: on a free reader when there is one (or one can be
   * opened), otherwise on the writer through its queue.
   */
  async withReader<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const reader = await this.takeReader();
    if (!reader) return this.withWriter(fn);
    this.activeReads++;
    try {
      return await fn(reader);
    } finally {
      this.activeReads--;
      if (this.closedConnections) await reader.close().catch(() => undefined);
      else this.idleReaders.push(reader);
      if (this.activeReads === 0 && this.readsDrained) this.readsDrained();
    }
  }

  private async takeReader(): Promise<Connection | null> {
    if (this.max <= 1 || this.spec.memory) return null;
    const idle = this.idleReaders.pop();
    if (idle) return idle;
    // A free writer answers at once; opening a reader is only worth it under contention.
    if (!this.lock.isLocked) return null;
    if (this.readers.length + this.opening >= this.max - 1) return null;
    this.opening++;
    try {
      const conn = await Connection.open({ ...this.spec, readOnly: true });
      this.readers.push(conn);
      return conn;
    } catch {
      return null; // a reader is an optimisation; the writer can always serve the read
    } finally {
      this.opening--;
    }
  }

  /** A call that queued before close() but reached the front after it finds the pool closed. */
  assertOpen(): void {
    if (this.closedConnections) throw new ConfigurationError('DAL is closed');
  }

  stats(): PoolStats {
    const total = 1 + this.readers.length;
    const idle = (this.lock.isLocked ? 0 : 1) + this.idleReaders.length;
    return { total, idle, waiting: this.lock.waiting, max: this.max };
  }

  /** Waits for queued and running work, then closes every connection. */
  async close(): Promise<void> {
    const release = await this.lock.acquire();
    try {
      if (this.activeReads > 0) await new Promise<void>((resolve) => (this.readsDrained = resolve));
      this.closedConnections = true;
      const readers = this.idleReaders.splice(0);
      await Promise.all(readers.map((r) => r.close().catch(() => undefined)));
      await this.writer.close();
    } finally {
      this.gate.dispose();
      release();
    }
  }
}
