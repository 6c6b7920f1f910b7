import { createHash } from 'node:crypto';
import { ConfigurationError } from '../errors/index.js';
import { tableDdl, type SqlBackend } from './ddl.js';
import { CONTEXTS, PIPELINE_EXECUTIONS, RECOVERY_EVENTS, TASK_EXECUTION_METADATA, TASK_EXECUTIONS, type TableDef } from './tables.js';
import { CRON_EXECUTIONS, CRON_SCHEDULES, EXECUTION_EVENTS, WORKFLOW_PACKAGES, WORKFLOW_REGISTRY } from './tables-2.js';

export interface Migration {
  version: number;
  name: string;
  /** DDL statements per backend, run in order inside one transaction. */
  statements: Record<SqlBackend, readonly string[]>;
}

function migration(version: number, name: string, tables: TableDef[]): Migration {
  return {
    version,
    name,
    statements: {
      postgres: tables.flatMap((t) => tableDdl(t, 'postgres')),
      sqlite: tables.flatMap((t) => tableDdl(t, 'sqlite')),
    },
  };
}

/** Forward-only; never edit an entry once released, append a new version instead. */
export const MIGRATIONS: readonly Migration[] = [
  migration(1, 'create_contexts', [CONTEXTS]),
  migration(2, 'create_execution_tables', [PIPELINE_EXECUTIONS, TASK_EXECUTIONS, TASK_EXECUTION_METADATA, RECOVERY_EVENTS]),
  migration(3, 'create_execution_events', [EXECUTION_EVENTS]),
  migration(4, 'create_cron_tables', [CRON_SCHEDULES, CRON_EXECUTIONS]),
  migration(5, 'create_workflow_registry_tables', [WORKFLOW_REGISTRY, WORKFLOW_PACKAGES]),
];

export const ALL_TABLES: readonly TableDef[] = [
  CONTEXTS,
  PIPELINE_EXECUTIONS,
  TASK_EXECUTIONS,
  TASK_EXECUTION_METADATA,
  RECOVERY_EVENTS,
  EXECUTION_EVENTS,
  CRON_SCHEDULES,
  CRON_EXECUTIONS,
  WORKFLOW_REGISTRY,
  WORKFLOW_PACKAGES,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
export const LEDGER_TABLE = 'cloacina_migrations';

/** The ledger table (01 §8.2), created by the migration runner itself. */
export function ledgerDdl(backend: SqlBackend): string {
  return backend === 'postgres'
    ? `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (version integer NOT NULL PRIMARY KEY, name text COLLATE "C" NOT NULL, applied_at timestamptz NOT NULL)`
    : `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`;
}

export interface LedgerRow {
  version: number;
  name: string;
}

/** Refuses a database whose ledger knows a version this library does not (01 §8.3). */
export function assertLedgerNotNewer(rows: readonly LedgerRow[]): void {
  const max = rows.reduce((m, r) => Math.max(m, Number(r.version)), 0);
  if (max > LATEST_SCHEMA_VERSION) {
    throw new ConfigurationError(
      `database schema version ${max} is newer than this library supports (${LATEST_SCHEMA_VERSION})`,
    );
  }
}

/**
 * Decides what to do with one migration given the ledger: 'skip' when recorded,
 * 'apply' when absent; a recorded row with another name is a ConfigurationError.
 */
export function migrationAction(m: Migration, rows: readonly LedgerRow[]): 'skip' | 'apply' {
  const found = rows.find((r) => Number(r.version) === m.version);
  if (!found) return 'apply';
  if (found.name !== m.name) {
    throw new ConfigurationError(`migration ${m.version} is '${found.name}' in the database but '${m.name}' in this library`);
  }
  return 'skip';
}

/**
 * PostgreSQL advisory-lock key: first 8 bytes of SHA-256("cloacina_migrations:<schema>")
 * as a signed 64-bit integer, returned as a decimal string for a bigint parameter.
 */
export function migrationLockKey(schema: string | null): string {
  const digest = createHash('sha256').update(`cloacina_migrations:${schema ?? 'public'}`).digest();
  return digest.readBigInt64BE(0).toString();
}
