/**
 * One sqlite3 connection with Promise helpers, opened with the per-connection pragmas of
 * 01 §9.1. Every helper maps driver errors to contract errors, so nothing above this file
 * ever sees a raw sqlite3 error.
 */
import sqlite3 from 'sqlite3';
import { ConfigurationError, SqliteStatementCache, type SqliteDatabaseLike, type SqliteSynchronous } from '@cloacina/core';
import { mapSqliteError } from './errors.js';

export type Row = Record<string, unknown>;
export type Params = readonly unknown[];

export interface OpenSpec {
  /** What sqlite3 opens: a path, ':memory:' or a `file:` URI. */
  filename: string;
  uri: boolean;
  memory: boolean;
  busyTimeoutMs: number;
  synchronous: SqliteSynchronous;
  /** Extra read connections refuse writes (`PRAGMA query_only`). */
  readOnly: boolean;
}

/** The query surface the modules use (a connection, possibly inside a transaction). */
export interface Queries {
  all<R = Row>(sql: string, params?: Params): Promise<R[]>;
  get<R = Row>(sql: string, params?: Params): Promise<R | undefined>;
  run(sql: string, params?: Params): Promise<{ changes: number }>;
}

export class Connection implements Queries {
  private closed = false;
  private readonly statements: SqliteStatementCache;

  private constructor(private readonly db: sqlite3.Database) {
    this.statements = new SqliteStatementCache(db as unknown as SqliteDatabaseLike);
  }

  static async open(spec: OpenSpec): Promise<Connection> {
    let mode = sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_FULLMUTEX;
    if (spec.uri) mode |= sqlite3.OPEN_URI;
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const handle: sqlite3.Database = new sqlite3.Database(spec.filename, mode, (err) =>
        err ? reject(mapSqliteError(err)) : resolve(handle),
      );
    });
    const conn = new Connection(db);
    try {
      await conn.applyPragmas(spec);
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw err;
    }
    return conn;
  }

  /**
   * busy_timeout goes first so that switching a fresh file to WAL (which needs an exclusive
   * lock) waits for other processes instead of failing; all of it precedes any other statement.
   */
  private async applyPragmas(spec: OpenSpec): Promise<void> {
    await this.exec(`PRAGMA busy_timeout = ${Math.trunc(spec.busyTimeoutMs)}`);
    if (!spec.memory) {
      const row = await this.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
      if (String(row?.journal_mode).toLowerCase() !== 'wal') {
        throw new ConfigurationError(`SQLite refused journal_mode=WAL (got '${String(row?.journal_mode)}')`);
      }
    }
    await this.exec('PRAGMA foreign_keys = ON');
    const fk = await this.get<{ foreign_keys: number }>('PRAGMA foreign_keys');
    if (fk?.foreign_keys !== 1) {
      throw new ConfigurationError('SQLite foreign key enforcement could not be enabled (PRAGMA foreign_keys reads 0)');
    }
    await this.exec(`PRAGMA synchronous = ${spec.synchronous}`);
    if (spec.readOnly) await this.exec('PRAGMA query_only = ON');
  }

  all<R = Row>(sql: string, params: Params = []): Promise<R[]> {
    if (SqliteStatementCache.accepts(sql)) return this.kept(sql, params).then((r) => r.rows as R[]);
    return new Promise((resolve, reject) => {
      this.db.all(sql, params as unknown[], (err: Error | null, rows: R[]) => (err ? reject(mapSqliteError(err)) : resolve(rows)));
    });
  }

  async get<R = Row>(sql: string, params: Params = []): Promise<R | undefined> {
    return (await this.all<R>(sql, params))[0];
  }

  async run(sql: string, params: Params = []): Promise<{ changes: number }> {
    if (SqliteStatementCache.accepts(sql)) return { changes: (await this.kept(sql, params)).changes };
    return new Promise((resolve, reject) => {
      this.db.run(sql, params as unknown[], function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(mapSqliteError(err));
        else resolve({ changes: this.changes });
      });
    });
  }

  /** Through a statement kept prepared for this connection (see SqliteStatementCache). */
  private async kept(sql: string, params: Params): Promise<{ rows: unknown[]; changes: number }> {
    try {
      return await this.statements.execute(sql, params as unknown[]);
    } catch (err) {
      throw mapSqliteError(err);
    }
  }

  /** Statements without parameters (pragmas, DDL, transaction control). */
  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.db.exec(sql, (err: Error | null) => (err ? reject(mapSqliteError(err)) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.statements.clear();
    return new Promise((resolve, reject) => {
      this.db.close((err) => (err ? reject(mapSqliteError(err)) : resolve()));
    });
  }
}
