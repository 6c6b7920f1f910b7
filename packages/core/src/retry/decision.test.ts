import { describe, expect, it } from 'vitest';
import { DatabaseError, TaskError, TaskNotFoundError, TaskTimeoutError, ValidationError } from '../errors/index.js';
import { decideRetry, errorMessageOf, errorPatternText, isTransientError, retryConditionHolds, shouldRetry } from './decision.js';
import { normalizeRetryPolicy, resolveRetryPolicy } from './policy.js';

describe('isTransientError', () => {
  it('timeouts and flagged errors are transient', () => {
    expect(isTransientError(new TaskTimeoutError('a::b::c::d', 10))).toBe(true);
    expect(isTransientError(new DatabaseError('x', { backend: 'sqlite', dbCode: 'BUSY', transient: true }))).toBe(true);
    expect(isTransientError(new TaskError('boom', { transient: true }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('boom'), { transient: true }))).toBe(true);
    expect(isTransientError({ message: 'plain', transient: true })).toBe(true);
  });

  it('recognises the message keywords, case-insensitively', () => {
    for (const m of ['Request TIMEOUT', 'Connection reset', 'network down', 'Temporary failure', 'Service Unavailable']) {
      expect(isTransientError(new Error(m))).toBe(true);
    }
    expect(isTransientError(new Error('bad input'))).toBe(false);
    expect(isTransientError('connection refused')).toBe(true);
    expect(isTransientError(42)).toBe(false);
    expect(isTransientError(null)).toBe(false);
  });

  it('transient === false wins over the text', () => {
    expect(isTransientError(new TaskError('network timeout', { transient: false }))).toBe(false);
    expect(isTransientError(new DatabaseError('connection lost', { backend: 'postgres', dbCode: '08006' }))).toBe(false);
    expect(isTransientError(new TaskError('network timeout'))).toBe(true); // undefined flag: text decides
  });

  it('TaskNotFoundError is never transient', () => {
    const err = new TaskNotFoundError('public::embedded::network::timeout_fetch', true);
    expect(isTransientError(err)).toBe(false);
    expect(isTransientError(Object.assign(err, {}))).toBe(false);
  });
});

describe('retry conditions', () => {
  it('AllErrors, Never, TransientOnly', () => {
    expect(retryConditionHolds({ type: 'AllErrors' }, new Error('x'))).toBe(true);
    expect(retryConditionHolds({ type: 'Never' }, new Error('timeout'))).toBe(false);
    expect(retryConditionHolds({ type: 'TransientOnly' }, new Error('timeout'))).toBe(true);
    expect(retryConditionHolds({ type: 'TransientOnly' }, new Error('bad'))).toBe(false);
  });

  it('ErrorPattern searches "<name>: <message>" lower-cased', () => {
    const cond = { type: 'ErrorPattern' as const, patterns: ['RATE LIMIT', 'validationerror:'] };
    expect(retryConditionHolds(cond, new Error('Rate limit exceeded'))).toBe(true);
    expect(retryConditionHolds(cond, new ValidationError('anything'))).toBe(true);
    expect(retryConditionHolds(cond, new TypeError('nope'))).toBe(false);
    expect(errorPatternText(new TypeError('nope'))).toBe('TypeError: nope');
    expect(errorPatternText('thrown string')).toBe('Error: thrown string');
    expect(errorMessageOf(new Error('m'))).toBe('m');
    expect(errorMessageOf(17)).toBe('17');
  });
});

describe('shouldRetry', () => {
  const policy = resolveRetryPolicy({});
  it('never retries once attempt >= maxAttempts', () => {
    expect(shouldRetry(policy, 1, 3, new Error('x'))).toBe(true);
    expect(shouldRetry(policy, 2, 3, new Error('x'))).toBe(true);
    expect(shouldRetry(policy, 3, 3, new Error('x'))).toBe(false);
    expect(shouldRetry(policy, 4, 3, new Error('x'))).toBe(false);
    expect(shouldRetry(resolveRetryPolicy({ maxAttempts: 1 }), 1, 1, new Error('x'))).toBe(false);
  });

  it('requires every condition to hold', () => {
    const p = resolveRetryPolicy({ conditions: ['TransientOnly', { type: 'ErrorPattern', patterns: ['upstream'] }] });
    expect(shouldRetry(p, 1, 3, new Error('upstream timeout'))).toBe(true);
    expect(shouldRetry(p, 1, 3, new Error('upstream broken'))).toBe(false);
    expect(shouldRetry(p, 1, 3, new Error('timeout'))).toBe(false);
    expect(shouldRetry(resolveRetryPolicy({ conditions: ['AllErrors', 'Never'] }), 1, 3, new Error('x'))).toBe(false);
  });

  it('works on the stored form', () => {
    expect(shouldRetry(normalizeRetryPolicy({ conditions: ['Never'] }), 1, 3, new Error('x'))).toBe(false);
  });
});

describe('decideRetry', () => {
  it('returns retryAt = now + delay when retrying', () => {
    const now = new Date('2025-06-01T12:00:00.000Z');
    const d = decideRetry(resolveRetryPolicy({ jitter: false }), 2, 3, new Error('x'), now);
    expect(d).toEqual({ retry: true, delayMs: 2000, retryAt: new Date('2025-06-01T12:00:02.000Z') });
    expect(decideRetry(resolveRetryPolicy({}), 3, 3, new Error('x'), now)).toEqual({ retry: false });
  });
});
