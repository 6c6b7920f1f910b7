/**
 * Driver error → contract error mapping (02 §6, §7). Every error that leaves this package
 * from a `pg` call goes through `mapPgError`, so callers only ever see DatabaseError or
 * ConstraintError, with `transient` set for the failures worth retrying.
 */
import { ConstraintError, DatabaseError, type ConstraintKind } from '@cloacina/core';

interface PgErrorLike {
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  message?: unknown;
}

const CONSTRAINT_KINDS: Record<string, ConstraintKind> = {
  '23505': 'unique',
  '23503': 'foreign_key',
  '23514': 'check',
  '23502': 'not_null',
};

// Serialization failure, deadlock, lock not available, admin shutdown, crash shutdown,
// cannot connect now: worth retrying on a fresh attempt.
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03']);

// Socket-level failures reported by Node; the connection is gone, a retry may succeed.
const TRANSIENT_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

const CONNECTION_LOSS_RE = /connection terminated|terminating connection|client has encountered a connection error|not queryable|connection ended|socket hang up/i;

/** True when the error means the connection itself is unusable (it must not return to the pool). */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as PgErrorLike | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (TRANSIENT_ERRNOS.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02') return true;
  return code === '' && typeof e.message === 'string' && CONNECTION_LOSS_RE.test(e.message);
}

/** Removes every known secret (passwords) from a text, on top of core's URL masking. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('****');
  return out;
}

/** Maps anything thrown by `pg` to DatabaseError / ConstraintError. Already-mapped errors pass through. */
export function mapPgError(err: unknown, secrets: readonly string[] = []): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const e = (err && typeof err === 'object' ? err : {}) as PgErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const kind = code ? CONSTRAINT_KINDS[code] : undefined;
  if (kind && code) {
    let constraint = typeof e.constraint === 'string' ? e.constraint : undefined;
    if (!constraint && kind === 'not_null' && typeof e.column === 'string') {
      constraint = typeof e.table === 'string' ? `${e.table}.${e.column}` : e.column;
    }
    return new ConstraintError(kind, { backend: 'postgres', dbCode: code, constraint, cause: err });
  }
  const loss = isConnectionLoss(err);
  const transient = loss || (code !== undefined && TRANSIENT_SQLSTATES.has(code));
  const raw = typeof e.message === 'string' && e.message.length > 0 ? e.message : String(err);
  return new DatabaseError(redact(raw, secrets), {
    backend: 'postgres',
    dbCode: code ?? (loss ? 'CONNECTION_LOST' : 'UNKNOWN'),
    transient,
    cause: err,
  });
}

/** pg-pool reports an exhausted wait with these messages (connectionTimeoutMillis). */
export function isAcquireTimeout(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : '';
  return /timeout exceeded when trying to connect|connection terminated due to connection timeout/i.test(msg);
}

export function poolTimeoutError(timeoutMs: number, cause: unknown): DatabaseError {
  return new DatabaseError(`Timed out after ${timeoutMs} ms waiting for a database connection`, {
    backend: 'postgres',
    dbCode: 'POOL_TIMEOUT',
    transient: true,
    cause,
  });
}

export function txAbortedError(cause?: unknown): DatabaseError {
  return new DatabaseError('current transaction is aborted by an earlier database error and was rolled back', {
    backend: 'postgres',
    dbCode: 'TX_ABORTED',
    cause,
  });
}

/** SQLSTATEs on which a self-owned transaction is re-run (02 §2.4). */
export function isRetryable(err: unknown): boolean {
  return err instanceof DatabaseError && (err.dbCode === '40001' || err.dbCode === '40P01');
}
