/**
 * Where a module's statements run. The same module code serves the root DAL and every
 * transaction-bound DAL; only the scope differs:
 *
 * - RootScope (here): reads on a free connection (or the writer queue), writes through the
 *   writer queue in autocommit, multi-statement methods in their own `BEGIN IMMEDIATE`
 *   transaction.
 * - TxScope (transaction.ts): everything on the transaction's connection.
 */
import { SignalBuffer, type ExecutionEventType, type Signal } from '@cloacina/core';
import type { Connection, Params, Queries, Row } from './connection.js';
import type { Pool } from './pool.js';

/** Per-instance inputs of deterministic writes (02 §1 "Ids and time"). */
export interface Env {
  now(): Date;
  newId(): string;
  readonly runnerId: string | null;
}

/** A query surface that can also buffer signals for the events it writes. */
export interface Ctx extends Queries {
  signal(type: ExecutionEventType, pipelineExecutionId: string, taskExecutionId: string | null): void;
}

export interface Scope {
  readonly env: Env;
  /** Reads only. */
  read<T>(fn: (q: Queries) => Promise<T>): Promise<T>;
  /** One write statement (plus reads): autocommit at the root, joined inside a transaction. */
  write<T>(fn: (c: Ctx) => Promise<T>): Promise<T>;
  /** Several statements that must commit together: own transaction, or a savepoint in the caller's. */
  atomic<T>(fn: (c: Ctx) => Promise<T>): Promise<T>;
}

export function ctxFor(conn: Queries, buf: SignalBuffer): Ctx {
  return {
    all: <R = Row>(sql: string, params?: Params) => conn.all<R>(sql, params),
    get: <R = Row>(sql: string, params?: Params) => conn.get<R>(sql, params),
    run: (sql: string, params?: Params) => conn.run(sql, params),
    signal: (type, pipelineExecutionId, taskExecutionId) => buf.add(type, pipelineExecutionId, taskExecutionId),
  };
}

/** ROLLBACK that tolerates SQLite having already rolled back (e.g. after SQLITE_FULL). */
export async function rollbackQuietly(conn: Connection): Promise<void> {
  try {
    await conn.exec('ROLLBACK');
  } catch {
    // "cannot rollback - no transaction is active": nothing left to undo.
  }
}

/** What the root DAL shares with its scopes. */
export interface RootHost {
  readonly pool: Pool;
  /** Identity used to detect root-DAL calls from inside its own transaction callback. */
  readonly identity: object;
  /** Throws when the DAL is closed, refused (newer schema) or called from inside its own transaction. */
  enter(): void;
  publish(signals: Signal[]): void;
}

export class RootScope implements Scope {
  constructor(
    readonly env: Env,
    private readonly host: RootHost,
  ) {}

  async read<T>(fn: (q: Queries) => Promise<T>): Promise<T> {
    this.host.enter();
    return this.host.pool.withReader(fn);
  }

  async write<T>(fn: (c: Ctx) => Promise<T>): Promise<T> {
    this.host.enter();
    const buf = new SignalBuffer(null);
    const result = await this.host.pool.withWrite((conn) => fn(ctxFor(conn, buf)));
    this.host.publish(buf.drain());
    return result;
  }

  async atomic<T>(fn: (c: Ctx) => Promise<T>): Promise<T> {
    this.host.enter();
    const buf = new SignalBuffer(null);
    const result = await this.host.pool.withWrite(async (conn) => {
      await conn.exec('BEGIN IMMEDIATE');
      try {
        const r = await fn(ctxFor(conn, buf));
        await conn.exec('COMMIT');
        return r;
      } catch (err) {
        await rollbackQuietly(conn);
        throw err;
      }
    });
    this.host.publish(buf.drain());
    return result;
  }
}
