import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, MIGRATIONS, SQLITE_SCHEMA_MESSAGE, type Dal } from '@cloacina/core';
import { createSqliteDal } from '../index.js';

let dir: string;
let file: string;
const open: Dal[] = [];

async function dal(extra: Record<string, unknown> = {}): Promise<Dal> {
  const d = await createSqliteDal({ url: `sqlite://${file}`, ...extra });
  open.push(d);
  return d;
}

/** Raw access that bypasses the DAL. */
function raw<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      db.all(sql, params, (e: Error | null, rows: T[]) => db.close(() => (e ? reject(e) : resolve(rows))));
    });
  });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cloacina-sqlite-'));
  file = path.join(dir, 'test.db');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies versions 1..5 once, then nothing', async () => {
    const d = await dal({ clock: () => new Date('2025-01-02T03:04:05.678Z') });
    const first = await d.migrate();
    expect(first.applied).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(first.current).toBe(5);
    const ledger = await raw<{ version: number; name: string; applied_at: string }>('SELECT * FROM cloacina_migrations ORDER BY version');
    expect(ledger.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    expect(ledger.every((r) => r.applied_at === '2025-01-02T03:04:05.678Z')).toBe(true);

    const second = await d.migrate();
    expect(second).toEqual({ applied: [], current: 5 });
    expect(await raw('SELECT * FROM cloacina_migrations')).toHaveLength(5);
  });

  it('is safe when several DAL instances migrate one file at once', async () => {
    const dals = await Promise.all([dal(), dal(), dal(), dal()]);
    const reports = await Promise.all(dals.map((d) => d.migrate()));
    expect(reports.flatMap((r) => r.applied)).toHaveLength(5);
    expect(await raw('SELECT * FROM cloacina_migrations')).toHaveLength(5);
  });

  it('refuses a database whose ledger is newer than the library', async () => {
    const d = await dal();
    await d.migrate();
    await raw("INSERT INTO cloacina_migrations VALUES (99, 'future', '2030-01-01T00:00:00.000Z')");
    await expect(dal()).rejects.toThrow(/database schema version 99 is newer than this library supports \(5\)/);
    await expect(d.migrate()).rejects.toBeInstanceOf(ConfigurationError);
    // Once refused, every other call is refused too.
    await expect(d.context.create({ a: 1 })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('reports a renamed ledger entry', async () => {
    const d = await dal();
    await d.migrate();
    await raw("UPDATE cloacina_migrations SET name = 'renamed' WHERE version = 3");
    await expect(d.migrate()).rejects.toThrow("migration 3 is 'renamed' in the database but 'create_execution_events' in this library");
  });
});

describe('connection settings and options', () => {
  it('applies the pragmas of 01 §9.1', async () => {
    const d = await dal({ sqlite: { busyTimeoutMs: 1234, synchronous: 'FULL' } });
    await d.migrate();
    const mode = await raw<{ journal_mode: string }>('PRAGMA journal_mode');
    expect(mode[0]!.journal_mode).toBe('wal');
    expect(d.backend).toBe('sqlite');
    expect(d.implementation).toBe('dal-sqlite');
    expect(d.schema).toBeNull();
    expect(d.poolStats()).toEqual({ total: 1, idle: 1, waiting: 0, max: 1 });
  });

  it('rejects configuration mistakes', async () => {
    await expect(createSqliteDal({ url: 'postgres://u:secret@localhost/db' })).rejects.toThrow('dal-sqlite cannot open a PostgreSQL URL');
    await expect(createSqliteDal({ url: `sqlite://${file}`, schema: 'tenant_a' })).rejects.toThrow(SQLITE_SCHEMA_MESSAGE);
    await expect(createSqliteDal({ url: 'sqlite::memory:', poolSize: 2 })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(createSqliteDal({ url: 'mysql://x' })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('opens in-memory databases, plain paths and file: URIs', async () => {
    const mem = await createSqliteDal({ url: 'sqlite::memory:' });
    open.push(mem);
    await mem.migrate();
    expect(await mem.context.read((await mem.context.create({ k: 'v' }))!)).toEqual({ k: 'v' });

    const plain = await createSqliteDal({ url: path.join(dir, 'plain.sqlite3') });
    open.push(plain);
    expect((await plain.migrate()).current).toBe(5);

    const uri = await createSqliteDal({ url: `file:${path.join(dir, 'uri.db')}?cache=private` });
    open.push(uri);
    expect((await uri.migrate()).current).toBe(5);
  });

  it('close() is idempotent and later calls are refused', async () => {
    const d = await createSqliteDal({ url: `sqlite://${file}` });
    await d.migrate();
    await Promise.all([d.close(), d.close()]);
    await d.close();
    await expect(d.context.create({ a: 1 })).rejects.toThrow('DAL is closed');
    await expect(d.transaction(async () => 1)).rejects.toThrow('DAL is closed');
  });
});
