/**
 * Maps sqlite3 driver errors to the contract's errors (02 §6, §7).
 *
 * node-sqlite3 reports only the primary result code (`err.code = 'SQLITE_CONSTRAINT'`), so the
 * constraint kind and, where possible, the constraint name are recovered from the message,
 * which SQLite words in a fixed way ("UNIQUE constraint failed: t.a, t.b", "CHECK constraint
 * failed: name", "FOREIGN KEY constraint failed", "NOT NULL constraint failed: t.c").
 */
import {
  ALL_TABLES,
  CloacinaError,
  ConstraintError,
  DatabaseError,
  type ConstraintKind,
} from '@cloacina/core';

const TRANSIENT_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

/** "UNIQUE constraint failed: t.a, t.b" → the schema's constraint name (PG-style `<table>_pkey` for ids). */
function uniqueConstraintName(detail: string): string | undefined {
  const cols = detail.split(',').map((s) => s.trim());
  const parsed = cols.map((c) => {
    const dot = c.indexOf('.');
    return dot < 0 ? { table: '', column: c } : { table: c.slice(0, dot), column: c.slice(dot + 1) };
  });
  const tableName = parsed[0]?.table;
  if (!tableName) return undefined;
  const columns = parsed.map((p) => p.column);
  if (columns.length === 1 && columns[0] === 'id') return `${tableName}_pkey`;
  const table = ALL_TABLES.find((t) => t.name === tableName);
  const match = table?.unique?.find((u) => u.columns.length === columns.length && u.columns.every((c, i) => c === columns[i]));
  if (match) return match.name;
  if (tableName === 'cloacina_migrations' && columns[0] === 'version') return 'cloacina_migrations_pkey';
  return undefined;
}

function constraintDetails(message: string): { kind: ConstraintKind; constraint?: string } | null {
  const m = /(UNIQUE|PRIMARY KEY|FOREIGN KEY|CHECK|NOT NULL) constraint failed(?::\s*(.*))?$/s.exec(message);
  if (!m) return null;
  const detail = (m[2] ?? '').trim();
  switch (m[1]) {
    case 'UNIQUE':
    case 'PRIMARY KEY':
      return { kind: 'unique', constraint: uniqueConstraintName(detail) };
    case 'FOREIGN KEY':
      // SQLite does not say which foreign key failed.
      return { kind: 'foreign_key' };
    case 'CHECK':
      // Named table CHECKs are reported by name; column CHECKs by their expression.
      return { kind: 'check', constraint: detail || undefined };
    default:
      return { kind: 'not_null', constraint: detail || undefined };
  }
}

/** Any error thrown while talking to SQLite → a contract error (contract errors pass through). */
export function mapSqliteError(err: unknown): Error {
  if (err instanceof CloacinaError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' && e.code.startsWith('SQLITE_') ? e.code : 'SQLITE_ERROR';
  if (code === 'SQLITE_CONSTRAINT') {
    const c = constraintDetails(message);
    if (c) return new ConstraintError(c.kind, { backend: 'sqlite', dbCode: code, constraint: c.constraint, cause: err });
  }
  return new DatabaseError(message, { backend: 'sqlite', dbCode: code, transient: TRANSIENT_CODES.has(code), cause: err });
}

export function poolTimeoutError(ms: number): DatabaseError {
  return new DatabaseError(`timed out after ${ms} ms waiting for the SQLite connection`, {
    backend: 'sqlite',
    dbCode: 'POOL_TIMEOUT',
    transient: true,
  });
}

export function txAbortedError(cause?: unknown): DatabaseError {
  return new DatabaseError('current transaction is aborted, commands ignored until end of transaction block', {
    backend: 'sqlite',
    dbCode: 'TX_ABORTED',
    cause,
  });
}
