/**
 * Driver error → contract error mapping (02 §6, §7), shared by every DAL so one failure looks
 * the same whichever implementation hit it. The functions read only the plain fields the
 * drivers set (`code`, `constraint`, `message` …), so core needs no driver dependency.
 */
import { ALL_TABLES } from '../../schema/migrations.js';
import { CloacinaError, ConstraintError, DatabaseError, maskUrlPasswords, type Backend, type ConstraintKind } from '../../errors/index.js';

interface DriverErrorLike {
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  message?: unknown;
}

const asErrorLike = (err: unknown): DriverErrorLike => (err && typeof err === 'object' ? (err as DriverErrorLike) : {});

/** Removes the URL passwords and any known secret from a text. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = maskUrlPasswords(text);
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('****');
  return out;
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

export function poolTimeoutError(backend: Backend, timeoutMs?: number, cause?: unknown): DatabaseError {
  const after = timeoutMs === undefined ? '' : ` after ${timeoutMs} ms`;
  return new DatabaseError(`timed out${after} waiting for a database connection (acquireTimeoutMs)`, {
    backend,
    dbCode: 'POOL_TIMEOUT',
    transient: true,
    cause,
  });
}

export function txAbortedError(backend: Backend, cause?: unknown): DatabaseError {
  return new DatabaseError('current transaction is aborted by an earlier database error and was rolled back', {
    backend,
    dbCode: 'TX_ABORTED',
    cause,
  });
}

// --- PostgreSQL -------------------------------------------------------------------------

const PG_CONSTRAINT_KINDS: Record<string, ConstraintKind> = {
  '23505': 'unique',
  '23503': 'foreign_key',
  '23514': 'check',
  '23502': 'not_null',
};
// Serialization failure, deadlock, lock not available, admin/crash shutdown, cannot connect now.
const PG_TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03']);
// Socket-level failures reported by Node: the connection is gone, a retry may succeed.
const NODE_CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const PG_CONNECTION_LOSS_RE =
  /connection terminated|terminating connection|client has encountered a connection error|not queryable|connection ended|socket hang up/i;
// pg-pool's messages when connectionTimeoutMillis (our acquireTimeoutMs) runs out.
const PG_POOL_TIMEOUT_RE = /timeout exceeded when trying to connect|connection terminated due to connection timeout/i;

/** True when a pg error means the connection itself is unusable (it must not return to the pool). */
export function isPostgresConnectionLoss(err: unknown): boolean {
  const e = asErrorLike(err);
  const code = typeof e.code === 'string' ? e.code : '';
  if (NODE_CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02') return true;
  return code === '' && typeof e.message === 'string' && PG_CONNECTION_LOSS_RE.test(e.message);
}

/** True for pg-pool's "no connection within connectionTimeoutMillis". */
export function isPostgresAcquireTimeout(err: unknown): boolean {
  const m = asErrorLike(err).message;
  return typeof m === 'string' && PG_POOL_TIMEOUT_RE.test(m);
}

/** Maps anything `pg` throws to DatabaseError / ConstraintError; contract errors pass through. */
export function mapPostgresError(err: unknown, secrets: readonly string[] = []): CloacinaError {
  if (err instanceof CloacinaError) return err;
  const e = asErrorLike(err);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const kind = code ? PG_CONSTRAINT_KINDS[code] : undefined;
  if (kind && code) {
    let constraint = typeof e.constraint === 'string' ? e.constraint : undefined;
    if (!constraint && kind === 'not_null' && typeof e.column === 'string') {
      constraint = typeof e.table === 'string' ? `${e.table}.${e.column}` : e.column;
    }
    return new ConstraintError(kind, { backend: 'postgres', dbCode: code, constraint, cause: err });
  }
  const loss = isPostgresConnectionLoss(err);
  const raw = typeof e.message === 'string' && e.message.length > 0 ? e.message : String(err);
  return new DatabaseError(redactSecrets(raw, secrets), {
    backend: 'postgres',
    dbCode: code ?? (loss ? 'CONNECTION_LOST' : 'UNKNOWN'),
    transient: loss || (code !== undefined && PG_TRANSIENT_SQLSTATES.has(code)),
    cause: err,
  });
}

/** Serialization failure or deadlock: a self-owned PostgreSQL transaction may be re-run (02 §2.4). */
export function isSerializationConflict(err: unknown): boolean {
  return err instanceof DatabaseError && err.backend === 'postgres' && (err.dbCode === '40001' || err.dbCode === '40P01');
}

// --- SQLite -----------------------------------------------------------------------------

/** "UNIQUE constraint failed: t.a, t.b" → the schema's constraint name (`<table>_pkey` for ids). */
function sqliteUniqueConstraintName(detail: string): string | undefined {
  const parsed = detail.split(',').map((c) => {
    const s = c.trim();
    const dot = s.indexOf('.');
    return dot < 0 ? { table: '', column: s } : { table: s.slice(0, dot), column: s.slice(dot + 1) };
  });
  const table = parsed[0]?.table;
  if (!table) return undefined;
  const columns = parsed.map((p) => p.column);
  if (columns.length === 1 && (columns[0] === 'id' || (table === 'cloacina_migrations' && columns[0] === 'version'))) return `${table}_pkey`;
  const def = ALL_TABLES.find((t) => t.name === table);
  return def?.unique?.find((u) => u.columns.length === columns.length && u.columns.every((c, i) => c === columns[i]))?.name;
}

/**
 * node-sqlite3 reports only the primary result code, so the constraint kind (and where SQLite
 * says it, the name) is recovered from SQLite's fixed wording of the message.
 */
function parseSqliteConstraint(message: string): { kind: ConstraintKind; constraint?: string } | null {
  const m = /(UNIQUE|PRIMARY KEY|FOREIGN KEY|CHECK|NOT NULL) constraint failed(?::\s*(.*))?$/s.exec(message);
  if (!m) return null;
  const detail = (m[2] ?? '').trim();
  switch (m[1]) {
    case 'UNIQUE':
    case 'PRIMARY KEY':
      return { kind: 'unique', constraint: sqliteUniqueConstraintName(detail) };
    case 'FOREIGN KEY':
      return { kind: 'foreign_key' }; // SQLite does not say which foreign key failed
    case 'CHECK':
      return { kind: 'check', constraint: detail || undefined }; // named CHECKs by name, column CHECKs by expression
    default:
      return { kind: 'not_null', constraint: detail || undefined };
  }
}

/** Maps anything sqlite3 throws to DatabaseError / ConstraintError; contract errors pass through. */
export function mapSqliteError(err: unknown): CloacinaError {
  if (err instanceof CloacinaError) return err;
  const e = asErrorLike(err);
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' && e.code.startsWith('SQLITE_') ? e.code : 'SQLITE_ERROR';
  if (code === 'SQLITE_CONSTRAINT') {
    const c = parseSqliteConstraint(message);
    if (c) return new ConstraintError(c.kind, { backend: 'sqlite', dbCode: code, constraint: c.constraint, cause: err });
  }
  return new DatabaseError(message, { backend: 'sqlite', dbCode: code, transient: code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED', cause: err });
}
