import sqlite3 from 'sqlite3';
import type { DataSource, DataSourceOptions, EntitySchema, QueryRunner } from 'typeorm';
import type { QueryResult } from 'typeorm/query-runner/QueryResult.js';
import { ConfigurationError, FifoLock, isMemoryTarget, poolTimeoutError, signalChannelKey, SqliteStatementCache, SqliteWriteGate, type PoolStats, type Signal, type SqliteDatabaseLike } from '@cloacina/core';
import type { ExecResult, Session } from '../shared/session.js';
import type { Dialect, DialectConfig, Lease, ListType } from './index.js';

const SQL_CACHE_LIMIT = 2_000;

interface Translated {
  readonly text: string;
  readonly order: readonly number[] | null;
}

/**
 * SQLite through TypeORM's sqlite3 driver. That driver runs every query of a DataSource on one
 * connection and one shared query runner, and its startTransaction() is not safe for concurrent
 * callers (one caller's ROLLBACK would end another's transaction). So this dialect owns the
 * transaction protocol: every statement of this DAL goes through one FIFO lock, a transaction
 * holds the lock from its own `BEGIN IMMEDIATE` to its end, and nested scopes use savepoints.
 */
export class SqliteDialect implements Dialect {
  readonly backend = 'sqlite' as const;
  readonly signalKey: string;
  readonly maxParams = 30_000; // SQLITE_MAX_VARIABLE_NUMBER is 32766
  readonly listChunk = 500;
  readonly trueLiteral = '1';
  readonly beginSql = 'BEGIN IMMEDIATE';
  readonly secrets: readonly string[] = [];
  private readonly lock = new FifoLock();
  private qr: QueryRunner | null = null;
  /** Prepared statements of the one connection, once TypeORM has opened it. */
  private statements: SqliteStatementCache | null = null;
  private readonly sqlCache = new Map<string, Translated>();

  /**
   * The process-wide per-file gate shared with dal-sqlite: several DAL instances on one file in
   * one process wait for their turn on the event loop instead of in SQLite's busy handler, where
   * they could occupy every libuv worker thread and starve the lock holder's COMMIT.
   */
  private readonly gate: SqliteWriteGate | null;

  constructor(private readonly cfg: DialectConfig) {
    this.signalKey = signalChannelKey(cfg.target, null);
    const busy = Math.trunc(cfg.options.sqlite?.busyTimeoutMs ?? 30_000);
    this.gate = isMemoryTarget(cfg.target) ? null : new SqliteWriteGate(this.signalKey, busy);
  }

  private get target() {
    const t = this.cfg.target;
    if (t.backend !== 'sqlite') throw new ConfigurationError('not a SQLite target');
    return t;
  }

  dataSourceOptions(entities: EntitySchema<Record<string, unknown>>[]): DataSourceOptions {
    const t = this.target;
    const flags = t.uri ? sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_URI : undefined;
    const busy = Math.trunc(this.cfg.options.sqlite?.busyTimeoutMs ?? 30_000);
    return {
      type: 'sqlite',
      database: t.filename,
      // TypeORM calls driver.verbose(); sqlite3's verbose() patches Database.prototype process-wide
      // with per-call stack capture and util.inspect of every argument (several times slower, and
      // it would slow any other sqlite3 user in the process, e.g. dal-sqlite). Hand it the plain module.
      driver: { verbose: () => sqlite3 },
      ...(flags === undefined ? {} : { flags }),
      // Applied by the driver as the first statement on the new connection, so even the
      // journal-mode switch below waits for other processes instead of failing with SQLITE_BUSY.
      ...(busy > 0 ? { busyTimeout: busy } : {}),
      entities,
      synchronize: false,
      migrationsRun: false,
      logging: false,
    };
  }

  /** Pragmas of 01 §9.1, before any statement of the DAL; foreign_keys is verified. */
  async afterInitialize(ds: DataSource): Promise<void> {
    const qr = ds.createQueryRunner();
    this.qr = qr;
    const db = (ds.driver as unknown as { databaseConnection?: SqliteDatabaseLike }).databaseConnection;
    if (db !== undefined) this.statements = new SqliteStatementCache(db);
    const busy = Math.trunc(this.cfg.options.sqlite?.busyTimeoutMs ?? 30_000);
    const synchronous = this.cfg.options.sqlite?.synchronous ?? 'NORMAL';
    await this.exec(qr, `PRAGMA busy_timeout = ${busy}`, []);
    if (!isMemoryTarget(this.target)) await this.exec(qr, 'PRAGMA journal_mode = WAL', []);
    await this.exec(qr, `PRAGMA synchronous = ${synchronous}`, []);
    await this.exec(qr, 'PRAGMA foreign_keys = ON', []);
    const fk = (await this.exec(qr, 'PRAGMA foreign_keys', [])).rows[0];
    if (!fk || Number(fk.foreign_keys) !== 1) {
      throw new ConfigurationError('SQLite refused PRAGMA foreign_keys = ON; the connection cannot be used');
    }
  }

  async beforeDestroy(): Promise<void> {
    // A connection with statements not finalized refuses to close.
    await this.statements?.clear();
    this.statements = null;
  }

  async acquire(): Promise<Lease> {
    const release = await this.lock.acquire(this.cfg.acquireTimeoutMs, () => poolTimeoutError('sqlite', this.cfg.acquireTimeoutMs));
    if (!this.gate) return { qr: this.qr!, release };
    let releaseGate: () => void;
    try {
      releaseGate = await this.gate.acquire();
    } catch (err) {
      release();
      throw err;
    }
    return {
      qr: this.qr!,
      release: () => {
        releaseGate();
        release();
      },
    };
  }

  /**
   * `$n` placeholders become anonymous `?` (SQLite resolves numbered `?NNN` parameters with a
   * linear search per parameter, which makes a multi-row INSERT with thousands of parameters
   * quadratic to compile); `order` says which argument each `?` takes, or is null when they are
   * $1, $2, … in order already. TypeORM's sqlite runner executes statements starting with
   * INSERT/UPDATE/DELETE with `run`, which returns no rows; a statement with RETURNING is
   * therefore sent with a leading space so that it goes through `all` and its rows come back.
   */
  private translate(sql: string): Translated {
    let out = this.sqlCache.get(sql);
    if (out === undefined) {
      const order: number[] = [];
      let text = sql.replace(/\$(\d+)/g, (_, n: string) => {
        order.push(Number(n) - 1);
        return '?';
      });
      if (/\bRETURNING\b/.test(text) && /^(INSERT|UPDATE|DELETE) /.test(text)) text = ` ${text}`;
      out = { text, order: order.every((v, i) => v === i) ? null : order };
      if (this.sqlCache.size >= SQL_CACHE_LIMIT) this.sqlCache.clear();
      this.sqlCache.set(sql, out);
    }
    return out;
  }

  /**
   * Single statements run as statements kept prepared on the connection (TypeORM's query()
   * prepares and finalizes one per call); anything else goes through TypeORM. Errors arrive as
   * sqlite3's own, which the session maps like TypeORM-wrapped ones.
   */
  async exec(qr: QueryRunner, sql: string, params: readonly unknown[]): Promise<ExecResult> {
    const { text, order } = this.translate(sql);
    const args = order === null ? (params as unknown[]) : order.map((i) => params[i]);
    if (this.statements !== null && SqliteStatementCache.accepts(text)) {
      const r = await this.statements.execute(text, args);
      return { rows: r.rows, affected: r.changes };
    }
    const r = (await qr.query(text, args, true)) as QueryResult;
    const rows = (r.records as ExecResult['rows']) ?? [];
    return { rows, affected: typeof r.affected === 'number' ? r.affected : rows.length };
  }

  async commit(s: Session): Promise<void> {
    await s.exec('COMMIT');
  }

  forUpdate(): string {
    return ''; // BEGIN IMMEDIATE already serialises every writer of the file
  }

  inList(expr: string, first: number, values: readonly unknown[]): { sql: string; params: unknown[] } {
    const marks = values.map((_, i) => `$${first + i}`).join(', ');
    return { sql: `${expr} IN (${marks})`, params: [...values] };
  }

  valuesTable(first: number, rows: readonly (readonly unknown[])[], _types: readonly ListType[]): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const tuples = rows.map((r) => `(${r.map((v) => `$${first + params.push(v) - 1}`).join(', ')})`);
    return { sql: `(VALUES ${tuples.join(', ')})`, params };
  }

  claimSql(filter: string): string {
    // Runs inside BEGIN IMMEDIATE, which serialises claimers across connections and processes.
    // INDEXED BY: without statistics SQLite picks the status index and sorts every Ready row for
    // each claim; the partial Ready index yields them in id order, so the LIMIT stops early.
    return `UPDATE task_executions SET status = 'Running', started_at = $1, claimed_by = $3, heartbeat_at = $1, updated_at = $1
WHERE id IN (
  SELECT t.id FROM task_executions t INDEXED BY task_executions_ready_idx
  JOIN pipeline_executions p ON p.id = t.pipeline_execution_id
  WHERE t.status = 'Ready' AND (t.retry_at IS NULL OR t.retry_at <= $1)
    AND p.status IN ('Pending', 'Running')${filter ? ` AND ${filter}` : ''}
  ORDER BY t.id LIMIT $2
)
RETURNING id, pipeline_execution_id, task_name, attempt, max_attempts, task_configuration,
  (SELECT status FROM pipeline_executions WHERE id = task_executions.pipeline_execution_id) AS pipeline_status`;
  }

  async lockMigrations(): Promise<void> {
    // The migration transaction began with BEGIN IMMEDIATE: it already holds the write lock.
  }

  async ensureSchema(): Promise<void> {
    // One database file per tenant; there are no schemas to create.
  }

  async ledgerExists(s: Session): Promise<boolean> {
    return (await s.first("SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = 'cloacina_migrations'")) !== undefined;
  }

  async startSignals(_publish: (signals: Signal[]) => void): Promise<() => Promise<void>> {
    // SQLite has no cross-process delivery (02 §2.5); the stop hook runs at close, so it is
    // where this instance gives up its share of the file's write gate.
    return async () => this.gate?.dispose();
  }

  poolStats(ds: DataSource | null): PoolStats {
    const open = ds?.isInitialized === true ? 1 : 0;
    return { total: open, idle: open && !this.lock.isLocked ? 1 : 0, waiting: this.lock.waiting, max: this.cfg.poolSize };
  }
}
