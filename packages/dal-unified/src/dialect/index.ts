/**
 * The dialect layer: every behaviour that differs between PostgreSQL and SQLite lives here,
 * chosen once from the URL when the DAL is built — connection setup, how a connection is
 * leased, transaction start and commit (NOTIFY), locking clauses, list parameters, the claim
 * statement, migration locking and signal delivery. The modules above never test the backend.
 */
import type { DataSource, DataSourceOptions, EntitySchema, QueryRunner } from 'typeorm';
import type { Backend, BackendTarget, DalOptions, Logger, PoolStats, Signal } from '@cloacina/core';
import type { ExecResult, Session } from '../shared/session.js';
import { PostgresDialect } from './postgres.js';
import { SqliteDialect } from './sqlite.js';

/** A connection held for the duration of one root call or one transaction. */
export interface Lease {
  qr: QueryRunner;
  release(): void;
}

export type ListType = 'uuid' | 'text';

export interface Dialect {
  readonly backend: Backend;
  /** Process-wide key of this database for local signal delivery (shared with the legacy DALs). */
  readonly signalKey: string;
  /** Most parameters one statement may bind; multi-row inserts are chunked below it. */
  readonly maxParams: number;
  /** Most values one IN list carries; longer lists are processed in chunks. */
  readonly listChunk: number;
  /** SQL literal for boolean true (partial-index friendly). */
  readonly trueLiteral: string;
  /** Secrets (the URL password) scrubbed from every error message. */
  readonly secrets: readonly string[];
  /** Statement that opens a write transaction. */
  readonly beginSql: string;

  dataSourceOptions(entities: EntitySchema<Record<string, unknown>>[]): DataSourceOptions;
  /** Per-connection settings once the DataSource is initialised, before any other statement. */
  afterInitialize(ds: DataSource): Promise<void>;
  /** Releases what the dialect holds on its connections, before the DataSource is destroyed. */
  beforeDestroy?(): Promise<void>;
  /** Leases a connection (PostgreSQL: from the pool; SQLite: the one connection behind the FIFO lock). */
  acquire(): Promise<Lease>;
  exec(qr: QueryRunner, sql: string, params: readonly unknown[]): Promise<ExecResult>;
  /** Commits; on PostgreSQL the signals are NOTIFYed inside the transaction first. */
  commit(s: Session, signals: readonly Signal[]): Promise<void>;

  /** Row-lock clause for a SELECT that precedes an UPDATE of the same rows ('' on SQLite). */
  forUpdate(alias?: string): string;
  /** `expr IN (…)` over `values`, parameters numbered from `first`. */
  inList(expr: string, first: number, values: readonly unknown[], type: ListType): { sql: string; params: unknown[] };
  /** A VALUES table `(VALUES (…), …)` whose columns are column1, column2, …. */
  valuesTable(first: number, rows: readonly (readonly unknown[])[], types: readonly ListType[]): { sql: string; params: unknown[] };
  /**
   * The claim statement of 02 §6. Parameters: $1 now, $2 limit, $3 runner id; `filter` is an
   * extra predicate on the pipeline alias `p` (workflow names), numbered from $4.
   */
  claimSql(filter: string): string;
  /**
   * Optional: claimSql plus P3 (Pending → Running of the claimed tasks' runs, updated_at = $1)
   * in one statement; rows carry kind 't' (a claimed task, claimSql's columns) or 'p' (a started
   * run's id). The run rows must be locked only after every claimed task row (lock order).
   */
  claimStartSql?(filter: string): string;

  /** Takes the migration lock inside the open migration transaction. */
  lockMigrations(s: Session, schema: string | null): Promise<void>;
  /** Creates the tenant schema if it is missing (PostgreSQL only). */
  ensureSchema(s: Session, schema: string | null): Promise<void>;
  ledgerExists(s: Session): Promise<boolean>;

  /** Starts cross-process signal delivery, if the backend has it; returns its stop function. */
  startSignals(publish: (signals: Signal[]) => void): Promise<() => Promise<void>>;
  poolStats(ds: DataSource | null): PoolStats;
}

export interface DialectConfig {
  target: BackendTarget;
  options: DalOptions;
  schema: string | null;
  poolSize: number;
  acquireTimeoutMs: number;
  logger: Logger | undefined;
}

export function createDialect(config: DialectConfig): Dialect {
  return config.target.backend === 'postgres' ? new PostgresDialect(config) : new SqliteDialect(config);
}
