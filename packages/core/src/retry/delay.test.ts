import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { baseRetryDelay, computeRetryAt, computeRetryDelay } from './delay.js';
import { normalizeRetryPolicy, resolveRetryPolicy } from './policy.js';

const noJitter = resolveRetryPolicy({ jitter: false });

describe('computeRetryDelay', () => {
  it('defaults without jitter: 1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => computeRetryDelay(noJitter, n));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(computeRetryDelay(noJitter, 1000)).toBe(60000);
  });

  it('fixed and linear strategies', () => {
    const fixed = resolveRetryPolicy({ backoff: 'fixed', jitter: false, initialDelayMs: 1000 });
    expect([1, 2, 5].map((n) => computeRetryDelay(fixed, n))).toEqual([1000, 1000, 1000]);
    const linear = resolveRetryPolicy({ backoff: { type: 'Linear', multiplier: 1.5 }, jitter: false, initialDelayMs: 333 });
    // 333 × n × 1.5, truncated
    expect([1, 2, 3].map((n) => computeRetryDelay(linear, n))).toEqual([499, 999, 1498]);
  });

  it('exponential with base and multiplier, truncated', () => {
    const p = resolveRetryPolicy({ backoff: { type: 'Exponential', base: 1.5, multiplier: 0.5 }, jitter: false, initialDelayMs: 1001 });
    expect(baseRetryDelay(p, 1)).toBe(500);
    expect(baseRetryDelay(p, 2)).toBe(750);
    expect(baseRetryDelay(p, 3)).toBe(1126);
  });

  it('applies jitter from the injected source: floor(d × (0.75 + 0.5 r))', () => {
    const p = resolveRetryPolicy({});
    expect(computeRetryDelay(p, 1, () => 0)).toBe(750);
    expect(computeRetryDelay(p, 1, () => 0.5)).toBe(1000);
    expect(computeRetryDelay(p, 1, () => 0.999999)).toBe(1249);
    expect(computeRetryDelay(p, 2, () => 0.3)).toBe(Math.floor(2000 * 0.9));
  });

  it('jitter ranges: attempt 1 in 750–1250 ms, attempt 7 in 48–60 s', () => {
    const p = resolveRetryPolicy({});
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const a1: number[] = [];
    const a7: number[] = [];
    for (let i = 0; i < 2000; i++) {
      a1.push(computeRetryDelay(p, 1, rand));
      a7.push(computeRetryDelay(p, 7, rand));
    }
    expect(Math.min(...a1)).toBeGreaterThanOrEqual(750);
    expect(Math.max(...a1)).toBeLessThanOrEqual(1250);
    expect(Math.min(...a7)).toBeGreaterThanOrEqual(48000);
    expect(Math.max(...a7)).toBe(60000); // capped after jitter, and jitter often exceeds the cap
    expect(a1.every(Number.isInteger)).toBe(true);
  });

  it('caps after jitter so a jittered delay never exceeds maxDelayMs', () => {
    const p = resolveRetryPolicy({ initialDelayMs: 1000, maxDelayMs: 1100 });
    expect(computeRetryDelay(p, 1, () => 0.99)).toBe(1100);
    expect(computeRetryDelay(p, 1, () => 0)).toBe(750);
    for (let n = 1; n < 60; n++) expect(computeRetryDelay(p, n, () => 0.999)).toBeLessThanOrEqual(1100);
  });

  it('zero delays and huge attempts stay finite', () => {
    const zero = resolveRetryPolicy({ initialDelayMs: 0 });
    expect(computeRetryDelay(zero, 5000)).toBe(0);
    expect(computeRetryDelay(resolveRetryPolicy({ maxDelayMs: 0 }), 3)).toBe(0);
    expect(computeRetryDelay(resolveRetryPolicy({}), 5000, () => 0.5)).toBe(60000);
  });

  it('accepts the stored form', () => {
    expect(computeRetryDelay(normalizeRetryPolicy({ jitter: false }), 3)).toBe(4000);
  });

  it('rejects attempts below 1', () => {
    expect(() => computeRetryDelay(noJitter, 0)).toThrow(ValidationError);
    expect(() => computeRetryDelay(noJitter, 1.5)).toThrow('attempt must be an integer >= 1 (got 1.5)');
  });
});

describe('computeRetryAt', () => {
  it('is now + delay', () => {
    const now = new Date('2025-01-01T00:00:00.000Z');
    expect(computeRetryAt(noJitter, 2, now).toISOString()).toBe('2025-01-01T00:00:02.000Z');
  });
});
