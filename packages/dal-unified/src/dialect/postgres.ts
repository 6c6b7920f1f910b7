import pg from 'pg';
import type { DataSource, DataSourceOptions, EntitySchema, QueryRunner } from 'typeorm';
import { migrationLockKey, quoteIdent, signalChannelKey, StatementNames, type BackendTarget, type PoolStats, type Signal } from '@cloacina/core';
import { urlSecrets } from '../errors.js';
import type { ExecResult, Session } from '../shared/session.js';
import type { Dialect, DialectConfig, Lease, ListType } from './index.js';
import { acquireListener, encodePayload, SIGNAL_CHANNEL } from './pg-listener.js';

/**
 * Key of this database and schema for process-local signal delivery: core's signalChannelKey,
 * the function dal-postgres uses, so a legacy and a unified DAL in one process hear each other.
 */
export function postgresSignalKey(target: BackendTarget, schema: string | null): string {
  return signalChannelKey(target, schema);
}

interface PgPoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export class PostgresDialect implements Dialect {
  readonly backend = 'postgres' as const;
  readonly signalKey: string;
  readonly maxParams = 30_000;
  readonly listChunk = Number.POSITIVE_INFINITY;
  readonly trueLiteral = 'true';
  readonly beginSql = 'BEGIN ISOLATION LEVEL READ COMMITTED';
  readonly secrets: readonly string[];
  private ds: DataSource | null = null;
  private readonly names = new StatementNames();

  constructor(private readonly cfg: DialectConfig) {
    this.signalKey = postgresSignalKey(cfg.target, cfg.schema);
    this.secrets = urlSecrets(cfg.options.url);
  }

  /** 'cloacina' plus the runner id when known, cut to PostgreSQL's 63 bytes (as dal-postgres). */
  private get applicationName(): string {
    const name = this.cfg.options.runnerId ? `cloacina:${this.cfg.options.runnerId}` : 'cloacina';
    return Buffer.from(name, 'utf8').subarray(0, 63).toString('utf8').replace(/\uFFFD$/, '');
  }

  dataSourceOptions(entities: EntitySchema<Record<string, unknown>>[]): DataSourceOptions {
    // search_path is a startup parameter of every pooled connection, so it is in force before
    // the first statement on it; the quoted tenant schema only, no public fallback (01 §9.2).
    const startup = this.cfg.schema ? `-c search_path=${quoteIdent(this.cfg.schema)}` : undefined;
    return {
      type: 'postgres',
      url: this.cfg.options.url,
      driver: pg,
      entities,
      synchronize: false,
      migrationsRun: false,
      logging: false,
      poolSize: this.cfg.poolSize,
      applicationName: this.applicationName,
      // pg-pool applies this both to opening a connection and to waiting for an idle one.
      connectTimeoutMS: this.cfg.acquireTimeoutMs,
      installExtensions: false,
      extra: startup ? { options: startup } : {},
    };
  }

  async afterInitialize(ds: DataSource): Promise<void> {
    this.ds = ds;
  }

  async acquire(): Promise<Lease> {
    const qr = this.ds!.createQueryRunner('master');
    return {
      qr,
      release: () => {
        qr.release().catch(() => undefined);
      },
    };
  }

  /**
   * Statements go to the query runner's pg connection itself, because TypeORM's query() cannot
   * name a statement, and the hot paths are prepared on the server (see StatementNames).
   * Errors arrive as pg's own, which the session maps like TypeORM-wrapped ones.
   */
  async exec(qr: QueryRunner, sql: string, params: readonly unknown[]): Promise<ExecResult> {
    const client = (await qr.connect()) as InstanceType<typeof pg.Client>;
    const r = await client.query(this.names.config(sql, params));
    return { rows: (r.rows as ExecResult['rows']) ?? [], affected: r.rowCount ?? 0 };
  }

  async commit(s: Session, signals: readonly Signal[]): Promise<void> {
    if (signals.length === 0) {
      await s.exec('COMMIT');
      return;
    }
    // One round trip: the NOTIFYs (delivered only if the transaction commits) and the COMMIT,
    // as one simple-protocol query. Payloads contain only ids, vocabulary words and a
    // validated schema name; quotes are still doubled.
    const notifies = signals.map((sig) => `NOTIFY ${SIGNAL_CHANNEL}, '${encodePayload(sig, this.cfg.schema).replace(/'/g, "''")}'`);
    await s.exec(`${notifies.join('; ')}; COMMIT`);
  }

  forUpdate(alias?: string): string {
    return alias ? ` FOR UPDATE OF ${alias}` : ' FOR UPDATE';
  }

  inList(expr: string, first: number, values: readonly unknown[], type: ListType): { sql: string; params: unknown[] } {
    return { sql: `${expr} = ANY($${first}::${type}[])`, params: [values] };
  }

  valuesTable(first: number, rows: readonly (readonly unknown[])[], types: readonly ListType[]): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const tuples = rows.map((r) => `(${r.map((v, i) => `$${first + params.push(v) - 1}::${types[i]}`).join(', ')})`);
    return { sql: `(VALUES ${tuples.join(', ')})`, params };
  }

  claimSql(filter: string): string {
    // Lock only the candidate task rows (SKIP LOCKED) in id order, then update them from that
    // set in the same statement; the pipeline row is never locked here (lock order, 02 §2.4).
    return `WITH cand AS (
  SELECT t.id FROM task_executions t
  JOIN pipeline_executions p ON p.id = t.pipeline_execution_id
  WHERE t.status = 'Ready' AND (t.retry_at IS NULL OR t.retry_at <= $1)
    AND p.status IN ('Pending', 'Running')${filter ? ` AND ${filter}` : ''}
  ORDER BY t.id LIMIT $2
  FOR UPDATE OF t SKIP LOCKED
)
UPDATE task_executions t SET status = 'Running', started_at = $1, claimed_by = $3, heartbeat_at = $1, updated_at = $1
FROM cand WHERE t.id = cand.id
RETURNING t.id, t.pipeline_execution_id, t.task_name, t.attempt, t.max_attempts, t.task_configuration`;
  }

  claimStartSql(filter: string): string {
    // The claim as in claimSql, then P3 in the same statement. The run ids are collected by an
    // uncorrelated scalar subquery (an InitPlan), which reads the whole claim before the first
    // run row is updated, so every task row is locked before any run row (02 §2.4).
    const claim = this.claimSql(filter);
    const update = claim.slice(claim.indexOf('\nUPDATE task_executions') + 1);
    const cand = claim.slice(0, claim.indexOf('\nUPDATE task_executions'));
    return `${cand},
claimed AS (
${update}
),
started AS (
  UPDATE pipeline_executions SET status = 'Running', updated_at = $1
  WHERE status = 'Pending' AND id = ANY((SELECT array_agg(DISTINCT pipeline_execution_id) FROM claimed)::uuid[])
  RETURNING id
)
SELECT 't' AS kind, id, pipeline_execution_id, task_name, attempt, max_attempts, task_configuration FROM claimed
UNION ALL SELECT 'p', id, NULL, NULL, NULL, NULL, NULL FROM started`;
  }

  async lockMigrations(s: Session, schema: string | null): Promise<void> {
    await s.exec('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(schema)]);
  }

  async ensureSchema(s: Session, schema: string | null): Promise<void> {
    if (!schema) return;
    // Existence first, so a tenant role without database-level CREATE can use a provisioned schema.
    const found = await s.first('SELECT 1 AS found FROM pg_namespace WHERE nspname = $1', [schema]);
    if (!found) await s.exec(`CREATE SCHEMA ${quoteIdent(schema)}`);
  }

  async ledgerExists(s: Session): Promise<boolean> {
    const r = await s.first("SELECT to_regclass('cloacina_migrations') IS NOT NULL AS present");
    return r?.present === true;
  }

  async startSignals(publish: (signals: Signal[]) => void): Promise<() => Promise<void>> {
    if (this.cfg.options.listen === false) return async () => undefined;
    return acquireListener({
      url: this.cfg.options.url,
      key: this.signalKey,
      schema: this.cfg.schema,
      applicationName: this.applicationName,
      logger: this.cfg.logger,
      publish,
    });
  }

  poolStats(ds: DataSource | null): PoolStats {
    const pool = (ds?.driver as unknown as { master?: PgPoolLike } | undefined)?.master;
    return {
      total: pool?.totalCount ?? 0,
      idle: pool?.idleCount ?? 0,
      waiting: pool?.waitingCount ?? 0,
      max: this.cfg.poolSize,
    };
  }
}
