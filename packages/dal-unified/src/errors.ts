/**
 * Driver error → contract error mapping (02 §6, §7). TypeORM wraps a failed statement in a
 * QueryFailedError whose `driverError` is the pg / sqlite3 error; connection-level failures
 * (pool acquisition, refused connections) arrive unwrapped. The mapping matches the legacy DALs
 * (kinds, constraint names, dbCode, transient), so the same failure looks the same everywhere.
 */
import { QueryFailedError } from 'typeorm';
import {
  ALL_TABLES,
  CloacinaError,
  ConstraintError,
  DatabaseError,
  maskUrlPasswords,
  type Backend,
  type ConstraintKind,
} from '@cloacina/core';

interface DriverErrorLike {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
}

const PG_CONSTRAINT: Record<string, ConstraintKind> = {
  '23505': 'unique',
  '23503': 'foreign_key',
  '23514': 'check',
  '23502': 'not_null',
};

// Serialization failure, deadlock, lock not available, admin/crash shutdown, cannot connect now.
const PG_TRANSIENT = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03']);
// Socket-level failures reported by Node: the connection is gone, a retry may succeed.
const NODE_CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const CONNECTION_LOSS_RE = /connection terminated|terminating connection|client has encountered a connection error|not queryable|connection ended|socket hang up/i;
// pg-pool's messages when connectionTimeoutMillis (our acquireTimeoutMs) runs out.
const POOL_TIMEOUT_RE = /timeout exceeded when trying to connect|connection terminated due to connection timeout/i;

export function poolTimeoutError(backend: Backend, cause?: unknown): DatabaseError {
  return new DatabaseError('timed out waiting for a database connection (acquireTimeoutMs)', {
    backend,
    dbCode: 'POOL_TIMEOUT',
    transient: true,
    cause,
  });
}

/** Removes known secrets (the URL's password) from a text, on top of core's URL masking. */
function redact(text: string, secrets: readonly string[]): string {
  let out = maskUrlPasswords(text);
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('****');
  return out;
}

/** Maps anything a statement can throw to the contract's error classes. */
export function mapDriverError(err: unknown, backend: Backend, secrets: readonly string[] = []): unknown {
  if (err instanceof CloacinaError) return err;
  const wrapped = err instanceof QueryFailedError;
  const driver: DriverErrorLike = wrapped
    ? ((err as QueryFailedError & { driverError?: DriverErrorLike }).driverError ?? {})
    : ((err && typeof err === 'object' ? err : {}) as DriverErrorLike);
  const message = redact(typeof driver.message === 'string' && driver.message ? driver.message : String(err), secrets);
  if (backend === 'postgres') return mapPostgres(driver, message, err, wrapped);
  return mapSqlite(driver, message, err, wrapped);
}

function mapPostgres(e: DriverErrorLike, message: string, cause: unknown, wrapped: boolean): unknown {
  const code = typeof e.code === 'string' ? e.code : '';
  const kind = PG_CONSTRAINT[code];
  if (kind) {
    let constraint = typeof e.constraint === 'string' ? e.constraint : undefined;
    if (!constraint && kind === 'not_null' && typeof e.column === 'string') {
      constraint = typeof e.table === 'string' ? `${e.table}.${e.column}` : e.column;
    }
    return new ConstraintError(kind, { backend: 'postgres', dbCode: code, constraint, cause });
  }
  if (POOL_TIMEOUT_RE.test(message)) return poolTimeoutError('postgres', cause);
  const loss = NODE_CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || (code === '' && CONNECTION_LOSS_RE.test(message));
  if (!wrapped && !loss && !/^[0-9A-Z]{5}$/.test(code)) return cause; // a programming error, not a database failure
  return new DatabaseError(message, {
    backend: 'postgres',
    dbCode: code || (loss ? 'CONNECTION_LOST' : 'UNKNOWN'),
    transient: loss || PG_TRANSIENT.has(code),
    cause,
  });
}

function mapSqlite(e: DriverErrorLike, message: string, cause: unknown, wrapped: boolean): unknown {
  const raw = typeof e.code === 'string' ? e.code : '';
  if (!wrapped && !raw.startsWith('SQLITE_')) return cause; // a programming error, not a database failure
  const code = raw.startsWith('SQLITE_') ? raw : 'SQLITE_ERROR';
  if (code === 'SQLITE_CONSTRAINT') {
    const parsed = parseSqliteConstraint(message);
    if (parsed) return new ConstraintError(parsed.kind, { backend: 'sqlite', dbCode: code, constraint: parsed.constraint, cause });
  }
  return new DatabaseError(message, { backend: 'sqlite', dbCode: code, transient: code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED', cause });
}

/** "UNIQUE constraint failed: t.a, t.b" → the schema's constraint name (PG-style `<table>_pkey` for ids). */
function uniqueConstraintName(detail: string): string | undefined {
  const cols = detail.split(',').map((s) => s.trim());
  const parsed = cols.map((c) => {
    const dot = c.indexOf('.');
    return dot < 0 ? { table: '', column: c } : { table: c.slice(0, dot), column: c.slice(dot + 1) };
  });
  const table = parsed[0]?.table;
  if (!table) return undefined;
  const columns = parsed.map((p) => p.column);
  if (columns.length === 1 && (columns[0] === 'id' || (table === 'cloacina_migrations' && columns[0] === 'version'))) return `${table}_pkey`;
  const def = ALL_TABLES.find((t) => t.name === table);
  return def?.unique?.find((u) => u.columns.length === columns.length && u.columns.every((c, i) => c === columns[i]))?.name;
}

function parseSqliteConstraint(message: string): { kind: ConstraintKind; constraint?: string } | null {
  const m = /(UNIQUE|PRIMARY KEY|FOREIGN KEY|CHECK|NOT NULL) constraint failed(?::\s*(.*))?$/s.exec(message);
  if (!m) return null;
  const detail = (m[2] ?? '').trim();
  switch (m[1]) {
    case 'UNIQUE':
    case 'PRIMARY KEY':
      return { kind: 'unique', constraint: uniqueConstraintName(detail) };
    case 'FOREIGN KEY':
      return { kind: 'foreign_key' }; // SQLite does not say which foreign key failed
    case 'CHECK':
      return { kind: 'check', constraint: detail || undefined }; // named CHECKs by name, column CHECKs by expression
    default:
      return { kind: 'not_null', constraint: detail || undefined };
  }
}

/** Serialization failure or deadlock: a self-owned PostgreSQL transaction may be retried. */
export function isRetryableConflict(err: unknown): boolean {
  return err instanceof DatabaseError && err.backend === 'postgres' && (err.dbCode === '40001' || err.dbCode === '40P01');
}

/** The password of a URL (raw and decoded), to be scrubbed from any message. */
export function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    if (!u.password) return [];
    const decoded = decodeURIComponent(u.password);
    return decoded === u.password ? [decoded] : [decoded, u.password];
  } catch {
    return [];
  }
}
