import { DatabaseError, TaskNotFoundError, TaskTimeoutError } from '../errors/index.js';
import { toRetryPolicy, type RetryCondition, type RetryPolicy, type StoredRetryPolicy } from './policy.js';
import { computeRetryAt } from './delay.js';

const TRANSIENT_WORDS = ['timeout', 'connection', 'network', 'temporary', 'unavailable'];

function field(err: unknown, name: string): unknown {
  return err !== null && typeof err === 'object' ? (err as Record<string, unknown>)[name] : undefined;
}

/** The message as stored for a failed attempt: `message`, or `String(value)` for non-errors. */
export function errorMessageOf(err: unknown): string {
  const message = field(err, 'message');
  return typeof message === 'string' ? message : String(err);
}

/** `"<name>: <message>"`, the text ErrorPattern conditions search. */
export function errorPatternText(err: unknown): string {
  const name = field(err, 'name');
  return `${typeof name === 'string' ? name : 'Error'}: ${errorMessageOf(err)}`;
}

/**
 * 03 §4.4. Explicit `transient` flags win over the message heuristics in both directions;
 * TaskNotFoundError is never transient (its namespace could contain e.g. "network").
 */
export function isTransientError(err: unknown): boolean {
  if (err instanceof TaskNotFoundError) return false;
  if (err instanceof TaskTimeoutError) return true;
  if (err instanceof DatabaseError) return err.transient;
  const flag = field(err, 'transient');
  if (flag === true) return true;
  if (flag === false) return false;
  const message = errorMessageOf(err).toLowerCase();
  return TRANSIENT_WORDS.some((w) => message.includes(w));
}

export function retryConditionHolds(condition: RetryCondition, err: unknown): boolean {
  switch (condition.type) {
    case 'AllErrors':
      return true;
    case 'Never':
      return false;
    case 'TransientOnly':
      return isTransientError(err);
    case 'ErrorPattern': {
      const text = errorPatternText(err).toLowerCase();
      return condition.patterns.some((p) => text.includes(p.toLowerCase()));
    }
  }
}

/**
 * Steps 2–3 of 03 §4.3: no retry once `attempt >= maxAttempts`; otherwise retry iff every
 * condition holds. Lost claims, cancellations and shutdowns (step 1) are the caller's concern:
 * their results are discarded, not failed.
 */
export function shouldRetry(
  policy: RetryPolicy | StoredRetryPolicy,
  attempt: number,
  maxAttempts: number,
  error: unknown,
): boolean {
  if (attempt >= maxAttempts) return false;
  return toRetryPolicy(policy).conditions.every((c) => retryConditionHolds(c, error));
}

export type RetryDecision = { retry: true; retryAt: Date; delayMs: number } | { retry: false };

/** `shouldRetry` plus, when retrying, when the next attempt may be claimed. */
export function decideRetry(
  policy: RetryPolicy | StoredRetryPolicy,
  attempt: number,
  maxAttempts: number,
  error: unknown,
  now: Date = new Date(),
  random: () => number = Math.random,
): RetryDecision {
  if (!shouldRetry(policy, attempt, maxAttempts, error)) return { retry: false };
  const retryAt = computeRetryAt(policy, attempt, now, random);
  return { retry: true, retryAt, delayMs: retryAt.getTime() - now.getTime() };
}
