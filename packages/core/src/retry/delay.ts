import { ValidationError } from '../errors/index.js';
import { toRetryPolicy, type RetryPolicy, type StoredRetryPolicy } from './policy.js';

/** Jitter factor range: u = 0.75 + 0.5 × random(), random() in [0, 1). */
export const JITTER_MIN = 0.75;
export const JITTER_SPAN = 0.5;

/** Base delay before jitter and cap (03 §4.2), fractions truncated. */
export function baseRetryDelay(policy: RetryPolicy, attempt: number): number {
  const { backoff, initialDelayMs } = policy;
  // 0 × Infinity would be NaN for a huge exponent; a zero delay stays zero whatever the factor.
  if (initialDelayMs === 0) return 0;
  let d: number;
  switch (backoff.type) {
    case 'Fixed':
      d = initialDelayMs;
      break;
    case 'Linear':
      d = initialDelayMs * attempt * backoff.multiplier;
      break;
    case 'Exponential':
      d = initialDelayMs * backoff.multiplier * Math.pow(backoff.base, attempt - 1);
      break;
  }
  return Math.trunc(d);
}

/**
 * Delay in ms after failed attempt `attempt` (1-based): base delay, then jitter
 * `floor(d × u)`, **then** the cap, so a jittered delay never exceeds `maxDelayMs`.
 * `random` is injectable for deterministic tests.
 */
export function computeRetryDelay(
  policy: RetryPolicy | StoredRetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new ValidationError(`attempt must be an integer >= 1 (got ${attempt})`, { field: 'attempt' });
  }
  const p = toRetryPolicy(policy);
  let d = baseRetryDelay(p, attempt);
  if (p.jitter) d = Math.floor(d * (JITTER_MIN + JITTER_SPAN * random()));
  return Math.min(d, p.maxDelayMs);
}

/** `now + computeRetryDelay(...)`. */
export function computeRetryAt(
  policy: RetryPolicy | StoredRetryPolicy,
  attempt: number,
  now: Date = new Date(),
  random: () => number = Math.random,
): Date {
  return new Date(now.getTime() + computeRetryDelay(policy, attempt, random));
}
