/**
 * pg driver errors → contract errors (02 §6, §7). The mapping lives in core so that
 * dal-unified maps the same failure to the same error; these are the names this package uses.
 */
import {
  isPostgresAcquireTimeout,
  isPostgresConnectionLoss,
  isSerializationConflict,
  mapPostgresError,
  poolTimeoutError as corePoolTimeout,
  redactSecrets,
  txAbortedError as coreTxAborted,
  type DatabaseError,
} from '@cloacina/core';

export const isConnectionLoss = isPostgresConnectionLoss;
export const isAcquireTimeout = isPostgresAcquireTimeout;
/** Self-owned transactions are re-run on serialization failure or deadlock (02 §2.4). */
export const isRetryable = isSerializationConflict;
export const redact = redactSecrets;

/** Every pg failure becomes a DatabaseError (or ConstraintError); contract errors pass through. */
export function mapPgError(err: unknown, secrets: readonly string[] = []): DatabaseError {
  return mapPostgresError(err, secrets) as DatabaseError;
}

export function poolTimeoutError(timeoutMs: number, cause: unknown): DatabaseError {
  return corePoolTimeout('postgres', timeoutMs, cause);
}

export function txAbortedError(cause?: unknown): DatabaseError {
  return coreTxAborted('postgres', cause);
}
