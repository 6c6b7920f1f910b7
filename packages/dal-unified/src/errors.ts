/**
 * Driver error → contract error mapping (02 §6, §7). TypeORM wraps a failed statement in a
 * QueryFailedError whose `driverError` is the pg / sqlite3 error; connection-level failures
 * arrive unwrapped. The mapping itself is core's, shared with the legacy DALs, so the same
 * failure looks the same whichever DAL hit it.
 */
import { QueryFailedError } from 'typeorm';
import {
  CloacinaError,
  isPostgresAcquireTimeout,
  isPostgresConnectionLoss,
  mapPostgresError,
  mapSqliteError,
  poolTimeoutError,
  type Backend,
} from '@cloacina/core';

export { isSerializationConflict as isRetryableConflict, urlSecrets } from '@cloacina/core';

/** Maps anything a statement can throw to the contract's error classes. */
export function mapDriverError(err: unknown, backend: Backend, secrets: readonly string[] = []): unknown {
  if (err instanceof CloacinaError) return err;
  const wrapped = err instanceof QueryFailedError;
  const driver: unknown = wrapped ? ((err as QueryFailedError & { driverError?: unknown }).driverError ?? err) : err;
  const code = (driver as { code?: unknown } | null)?.code;
  if (backend === 'postgres') {
    if (isPostgresAcquireTimeout(driver)) return poolTimeoutError('postgres', undefined, err);
    // Anything that is neither a statement failure, a SQLSTATE nor a lost connection is a
    // programming error of ours: let it surface as it is.
    const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
    if (!wrapped && !sqlstate && !isPostgresConnectionLoss(driver)) return err;
    return mapPostgresError(driver, secrets);
  }
  if (!wrapped && !(typeof code === 'string' && code.startsWith('SQLITE_'))) return err;
  return mapSqliteError(driver);
}
