import { describe, expect, it } from 'vitest';
import { detectBackend, MIGRATIONS } from '@cloacina/core';
import { withPgClient } from './support/databases.js';

describe('test environment', () => {
  it('reaches the PostgreSQL server the suite runs against', async () => {
    const one = await withPgClient(null, async (c) => (await c.query('SELECT 1 AS one')).rows[0].one);
    expect(one).toBe(1);
  });

  it('resolves workspace packages from source', () => {
    expect(detectBackend('sqlite::memory:').backend).toBe('sqlite');
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5]);
  });
});
