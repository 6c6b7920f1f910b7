import { DatabaseError, type Logger } from '@cloacina/core';
import { describeError } from './logger.js';

/** Back-off before each retry of a write that failed with a transient database error (03 §8.4). */
export const DB_RETRY_DELAYS_MS: readonly number[] = [100, 200, 400];

export function isTransientDatabaseError(err: unknown): boolean {
  return err instanceof DatabaseError && err.transient;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `write`, retrying it after transient database errors (serialization failures, SQLITE_BUSY,
 * a dropped connection) with the delays above. Every other error — including ClaimLostError,
 * which means the write must not happen at all — is thrown at once. The last transient error is
 * rethrown when the retries are exhausted; the caller then lets the lease lapse, and recovery
 * re-runs the attempt (03 §9).
 */
export async function withDbRetry<T>(
  what: string,
  write: () => Promise<T>,
  logger: Logger,
  delays: readonly number[] = DB_RETRY_DELAYS_MS,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await write();
    } catch (err) {
      const delay = delays[retry];
      if (!isTransientDatabaseError(err) || delay === undefined) throw err;
      logger.warn(`${what}: transient database error, retrying in ${delay} ms: ${describeError(err)}`);
      await sleep(delay);
    }
  }
}
