import { describe, expect, it } from 'vitest';
import { InvalidRetryPolicyError, ValidationError } from '../errors/index.js';
import {
  DEFAULT_RETRY_POLICY,
  normalizeRetryPolicy,
  parseStoredRetryPolicy,
  resolveRetryPolicy,
  toRetryPolicy,
  toStoredRetryPolicy,
  type RetryPolicyInput,
} from './policy.js';

const NS = 'public::embedded::etl::extract';
const DEFAULT_STORED =
  '{"max_attempts":3,"backoff_strategy":{"type":"Exponential","base":2,"multiplier":1},' +
  '"initial_delay_ms":1000,"max_delay_ms":60000,"jitter":true,"retry_conditions":[{"type":"AllErrors"}]}';

describe('normalizeRetryPolicy', () => {
  it('gives the documented default stored form, key order included', () => {
    expect(JSON.stringify(normalizeRetryPolicy(undefined))).toBe(DEFAULT_STORED);
    expect(JSON.stringify(normalizeRetryPolicy({}))).toBe(DEFAULT_STORED);
    expect(JSON.stringify(toStoredRetryPolicy(DEFAULT_RETRY_POLICY))).toBe(DEFAULT_STORED);
  });

  it('expands backoff shorthands and object forms', () => {
    expect(normalizeRetryPolicy({ backoff: 'fixed' }).backoff_strategy).toEqual({ type: 'Fixed' });
    expect(normalizeRetryPolicy({ backoff: 'linear' }).backoff_strategy).toEqual({ type: 'Linear', multiplier: 1 });
    expect(normalizeRetryPolicy({ backoff: 'exponential' }).backoff_strategy).toEqual({ type: 'Exponential', base: 2, multiplier: 1 });
    expect(normalizeRetryPolicy({ backoff: { type: 'Linear', multiplier: 2.5 } }).backoff_strategy).toEqual({ type: 'Linear', multiplier: 2.5 });
    expect(normalizeRetryPolicy({ backoff: { type: 'Exponential', base: 3, multiplier: 0.5 } }).backoff_strategy).toEqual({
      type: 'Exponential',
      base: 3,
      multiplier: 0.5,
    });
    expect(normalizeRetryPolicy({ backoff: { type: 'Exponential' } }).backoff_strategy).toEqual({ type: 'Exponential', base: 2, multiplier: 1 });
  });

  it('expands condition shorthands', () => {
    const stored = normalizeRetryPolicy({
      conditions: ['AllErrors', 'TransientOnly', 'Never', { type: 'ErrorPattern', patterns: ['Timeout'] }],
    });
    expect(stored.retry_conditions).toEqual([
      { type: 'AllErrors' },
      { type: 'TransientOnly' },
      { type: 'Never' },
      { type: 'ErrorPattern', patterns: ['Timeout'] },
    ]);
  });

  it('keeps every given field', () => {
    const input: RetryPolicyInput = { maxAttempts: 5, backoff: 'exponential', initialDelayMs: 500, maxDelayMs: 0, jitter: false };
    expect(normalizeRetryPolicy(input)).toEqual({
      max_attempts: 5,
      backoff_strategy: { type: 'Exponential', base: 2, multiplier: 1 },
      initial_delay_ms: 500,
      max_delay_ms: 0,
      jitter: false,
      retry_conditions: [{ type: 'AllErrors' }],
    });
    expect(normalizeRetryPolicy({ maxAttempts: 1, initialDelayMs: 0 }).max_attempts).toBe(1);
  });

  const bad: [string, unknown, string][] = [
    ['maxAttempts 0', { maxAttempts: 0 }, 'maxAttempts must be an integer >= 1 (got 0)'],
    ['maxAttempts fraction', { maxAttempts: 1.5 }, 'maxAttempts must be an integer >= 1 (got 1.5)'],
    ['maxAttempts string', { maxAttempts: '3' }, "maxAttempts must be an integer >= 1 (got '3')"],
    ['initialDelayMs negative', { initialDelayMs: -1 }, 'initialDelayMs must be an integer >= 0 (got -1)'],
    ['maxDelayMs NaN', { maxDelayMs: Number.NaN }, 'maxDelayMs must be an integer >= 0 (got NaN)'],
    ['jitter', { jitter: 'yes' }, "jitter must be a boolean (got 'yes')"],
    ['backoff unknown', { backoff: 'random' }, "unknown backoff 'random'"],
    ['backoff type', { backoff: { type: 'Cubic' } }, "unknown backoff type 'Cubic'"],
    ['base < 1', { backoff: { type: 'Exponential', base: 0.5 } }, 'backoff base must be a finite number >= 1 (got 0.5)'],
    ['multiplier 0', { backoff: { type: 'Linear', multiplier: 0 } }, 'backoff multiplier must be a finite number > 0 (got 0)'],
    ['multiplier inf', { backoff: { type: 'Exponential', multiplier: Infinity } }, 'backoff multiplier must be a finite number > 0 (got Infinity)'],
    ['backoff extra key', { backoff: { type: 'Fixed', base: 2 } }, "backoff Fixed has an unexpected key 'base'"],
    ['conditions empty', { conditions: [] }, 'conditions must be a non-empty array (got [])'],
    ['condition unknown', { conditions: ['Sometimes'] }, "condition 1 is not a retry condition (got 'Sometimes')"],
    ['condition type', { conditions: [{ type: 'Maybe' }] }, "condition 1 has an unknown type 'Maybe'"],
    ['patterns empty', { conditions: [{ type: 'ErrorPattern', patterns: [] }] }, "condition 1 (ErrorPattern) needs a non-empty 'patterns' array"],
    ['pattern empty string', { conditions: ['Never', { type: 'ErrorPattern', patterns: ['x', ''] }] }, 'condition 2 (ErrorPattern) patterns must be non-empty strings'],
    ['unknown option', { retries: 3 }, "unknown option 'retries'"],
    ['not an object', 3, 'policy must be an object (got 3)'],
  ];
  it.each(bad)('rejects %s with InvalidRetryPolicyError naming the task', (_label, input, why) => {
    let caught: unknown;
    try {
      resolveRetryPolicy(input as RetryPolicyInput, NS);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidRetryPolicyError);
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as Error).message).toBe(`Invalid retry policy for task '${NS}': ${why}`);
    expect((caught as InvalidRetryPolicyError).code).toBe('INVALID_RETRY_POLICY');
  });
});

describe('parseStoredRetryPolicy', () => {
  it('round-trips the stored form', () => {
    const inputs: RetryPolicyInput[] = [
      {},
      { maxAttempts: 2, backoff: 'fixed', initialDelayMs: 1000, jitter: false },
      { backoff: { type: 'Linear', multiplier: 3 }, conditions: ['TransientOnly', { type: 'ErrorPattern', patterns: ['a', 'B'] }] },
    ];
    for (const input of inputs) {
      const stored = normalizeRetryPolicy(input);
      const parsed = parseStoredRetryPolicy(JSON.parse(JSON.stringify(stored)));
      expect(parsed).toEqual(resolveRetryPolicy(input));
      expect(toStoredRetryPolicy(parsed)).toEqual(stored);
    }
  });

  it('absent policy or fields mean defaults', () => {
    expect(parseStoredRetryPolicy(undefined)).toEqual(DEFAULT_RETRY_POLICY);
    expect(parseStoredRetryPolicy(null)).toEqual(DEFAULT_RETRY_POLICY);
    expect(parseStoredRetryPolicy({ max_attempts: 7 })).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 7 });
  });

  it('rejects invalid stored values', () => {
    expect(() => parseStoredRetryPolicy({ max_attempts: 0 }, NS)).toThrow(
      `Invalid retry policy for task '${NS}': maxAttempts must be an integer >= 1 (got 0)`,
    );
    expect(() => parseStoredRetryPolicy('x', NS)).toThrow(InvalidRetryPolicyError);
  });

  it('toRetryPolicy accepts either form', () => {
    const policy = resolveRetryPolicy({ maxAttempts: 4 });
    expect(toRetryPolicy(policy)).toBe(policy);
    expect(toRetryPolicy(toStoredRetryPolicy(policy))).toEqual(policy);
  });
});
