import { describe, expect, it } from 'vitest';
import { ClaimLostError, DatabaseError } from '@cloacina/core';
import { withDbRetry } from './db-retry.js';
import { consoleLogger } from './logger.js';

const transient = () => new DatabaseError('database is locked', { backend: 'sqlite', dbCode: 'SQLITE_BUSY', transient: true });

describe('withDbRetry', () => {
  it('retries transient database errors three times, then gives up with the last one', async () => {
    const warnings: string[] = [];
    const logger = { ...consoleLogger('silent'), warn: (m: string) => void warnings.push(m) };
    let calls = 0;
    const err = transient();
    await expect(withDbRetry('write', async () => { calls++; throw err; }, logger, [1, 2, 3])).rejects.toBe(err);
    expect(calls).toBe(4);
    expect(warnings).toEqual([
      'write: transient database error, retrying in 1 ms: DatabaseError: database is locked',
      'write: transient database error, retrying in 2 ms: DatabaseError: database is locked',
      'write: transient database error, retrying in 3 ms: DatabaseError: database is locked',
    ]);
  });

  it('returns as soon as an attempt succeeds', async () => {
    let calls = 0;
    const value = await withDbRetry('write', async () => (++calls < 3 ? Promise.reject(transient()) : 'ok'), consoleLogger('silent'), [1, 1, 1]);
    expect([value, calls]).toEqual(['ok', 3]);
  });

  it('never retries a lost claim or a permanent error', async () => {
    for (const err of [new ClaimLostError('t', 'r', 'Ready', null), new DatabaseError('syntax', { backend: 'postgres', dbCode: '42601' })]) {
      let calls = 0;
      await expect(withDbRetry('write', async () => { calls++; throw err; }, consoleLogger('silent'), [1, 1, 1])).rejects.toBe(err);
      expect(calls).toBe(1);
    }
  });
});
