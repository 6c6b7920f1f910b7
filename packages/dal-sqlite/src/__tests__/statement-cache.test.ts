import sqlite3 from 'sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStatementCache, type SqliteDatabaseLike } from '@cloacina/core';

const open = () => new sqlite3.Database(':memory:');
const close = (db: sqlite3.Database) => new Promise<void>((resolve, reject) => db.close((err) => (err ? reject(err) : resolve())));

describe('SqliteStatementCache on a real sqlite3 connection', () => {
  let db: sqlite3.Database;
  afterEach(async () => {
    await close(db).catch(() => undefined);
  });

  it('runs statements with result rows through all() and others through run() with their change count', async () => {
    db = open();
    const cache = new SqliteStatementCache(db as unknown as SqliteDatabaseLike);
    await cache.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)', []);
    expect(await cache.execute('INSERT INTO t (v) VALUES (?), (?)', ['a', 'b'])).toEqual({ rows: [], changes: 2 });
    expect(await cache.execute("UPDATE t SET v = v || '!' WHERE id > ? RETURNING id, v", [0])).toEqual({
      rows: [{ id: 1, v: 'a!' }, { id: 2, v: 'b!' }],
      changes: 2,
    });
    expect((await cache.execute('SELECT v FROM t WHERE id = ?', [2])).rows).toEqual([{ v: 'b!' }]);
    // The same text again reuses the kept statement with new parameters.
    expect((await cache.execute('SELECT v FROM t WHERE id = ?', [1])).rows).toEqual([{ v: 'a!' }]);
  });

  it('reports a statement that cannot be prepared as sqlite3 reports it, and keeps nothing for it', async () => {
    db = open();
    const cache = new SqliteStatementCache(db as unknown as SqliteDatabaseLike);
    await expect(cache.execute('SELECT * FROM missing WHERE id = ?', [1])).rejects.toMatchObject({ code: 'SQLITE_ERROR', message: expect.stringContaining('no such table: missing') });
    await cache.execute('CREATE TABLE missing (id INTEGER)', []);
    expect((await cache.execute('SELECT * FROM missing WHERE id = ?', [1])).rows).toEqual([]);
  });

  it('keeps at most `max` statements and finalizes the rest, so the connection can close', async () => {
    db = open();
    const cache = new SqliteStatementCache(db as unknown as SqliteDatabaseLike, 2);
    for (let i = 0; i < 5; i++) expect((await cache.execute(`SELECT ${i} AS n, ? AS p`, [i])).rows).toEqual([{ n: i, p: i }]);
    await cache.clear();
    await expect(close(db)).resolves.toBeUndefined();
  });

  it('leaves several statements in one text to the caller (a prepared statement runs only the first)', () => {
    expect(SqliteStatementCache.accepts('SELECT 1')).toBe(true);
    expect(SqliteStatementCache.accepts('CREATE TABLE a (x); CREATE TABLE b (y)')).toBe(false);
  });
});
