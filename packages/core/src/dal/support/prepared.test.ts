import { describe, expect, it } from 'vitest';
import { StatementNames } from './prepared.js';

describe('StatementNames', () => {
  it('prepares a text from its second use on, under one stable name', () => {
    const names = new StatementNames(10, 2);
    expect(names.config('SELECT $1', [1])).toEqual({ text: 'SELECT $1', values: [1] });
    const second = names.config('SELECT $1', [2]);
    expect(second.name).toMatch(/^cloacina_[0-9a-f]{24}$/);
    expect(names.config('SELECT $1', [3]).name).toBe(second.name);
    expect(new StatementNames(10, 1).config('SELECT $1', [1]).name).toBe(second.name);
    expect(names.config('SELECT $1 + 1', [1]).name).toBeUndefined();
  });

  it('never names a statement without parameters (it may hold several statements)', () => {
    const names = new StatementNames(10, 1);
    expect(names.config("NOTIFY c, 'x'; COMMIT", []).name).toBeUndefined();
  });

  it('names at most `max` texts, so varying texts cannot grow the server cache without bound', () => {
    const names = new StatementNames(3, 1);
    const named = Array.from({ length: 10 }, (_, i) => names.config(`SELECT ${i} + $1`, [1]).name);
    expect(named.filter((n) => n !== undefined)).toHaveLength(3);
    expect(names.config('SELECT 0 + $1', [1]).name).toBe(named[0]);
  });
});
