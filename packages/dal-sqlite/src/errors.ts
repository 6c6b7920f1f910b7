/**
 * sqlite3 driver errors → contract errors (02 §6, §7). The mapping itself lives in core so
 * that dal-unified maps the same failure to the same error.
 */
import { mapSqliteError, poolTimeoutError as corePoolTimeout, txAbortedError as coreTxAborted, type DatabaseError } from '@cloacina/core';

export { mapSqliteError };

export function poolTimeoutError(ms: number): DatabaseError {
  return corePoolTimeout('sqlite', ms);
}

export function txAbortedError(cause?: unknown): DatabaseError {
  return coreTxAborted('sqlite', cause);
}
