/**
 * Test support (used by this package's *.test.ts only): one fresh database per test on either
 * backend — a random PostgreSQL schema that is dropped afterwards, or a SQLite file in a
 * temporary directory — plus a pinned clock and a deterministic id generator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Dal, DalOptions } from '@cloacina/core';
import { createUnifiedDal } from '../index.js';

export const PG_URL = process.env.CLOACINA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type BackendName = 'postgres' | 'sqlite';
export const BACKENDS: BackendName[] = ['sqlite', 'postgres'];

export interface TestDb {
  backend: BackendName;
  url: string;
  schema?: string;
  /** Options for createUnifiedDal (url, schema, small pool). */
  options(extra?: Partial<DalOptions>): DalOptions;
  open(extra?: Partial<DalOptions>): Promise<Dal>;
  /** Raw SQL outside the DAL (PostgreSQL: inside the schema). */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

export function uniqueSchema(): string {
  return `du_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export function testDb(backend: BackendName): TestDb {
  const opened: Dal[] = [];
  const track = async (extra: Partial<DalOptions>, options: DalOptions) => {
    const dal = await createUnifiedDal({ ...options, ...extra });
    opened.push(dal);
    return dal;
  };
  if (backend === 'postgres') {
    const schema = uniqueSchema();
    const options = (extra: Partial<DalOptions> = {}): DalOptions => ({ url: PG_URL, schema, poolSize: 3, ...extra });
    return {
      backend,
      url: PG_URL,
      schema,
      options,
      open: (extra = {}) => track(extra, options()),
      raw: async (sql, params = []) => {
        const c = new pg.Client(PG_URL);
        await c.connect();
        try {
          await c.query(`SET search_path TO "${schema}"`);
          return (await c.query(sql, params)).rows;
        } finally {
          await c.end();
        }
      },
      cleanup: async () => {
        for (const d of opened) await d.close().catch(() => undefined);
        const c = new pg.Client(PG_URL);
        await c.connect();
        try {
          await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await c.end();
        }
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'dal-unified-'));
  const url = `sqlite://${join(dir, 'test.db')}`;
  const options = (extra: Partial<DalOptions> = {}): DalOptions => ({ url, ...extra });
  return {
    backend,
    url,
    options,
    open: (extra = {}) => track(extra, options()),
    raw: async (sql, params = []) => {
      // A plain sqlite3 connection, bypassing the DAL.
      const sqlite3 = (await import('sqlite3')).default;
      const db = new sqlite3.Database(join(dir, 'test.db'));
      try {
        return await new Promise((resolve, reject) =>
          db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as Record<string, unknown>[]))),
        );
      } finally {
        await new Promise((r) => db.close(() => r(undefined)));
      }
    },
    cleanup: async () => {
      for (const d of opened) await d.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A clock pinned to `start` that moves only when told. */
export function pinnedClock(start = Date.UTC(2025, 0, 2, 3, 4, 5, 678)) {
  let ms = start;
  return { clock: () => new Date(ms), advance: (delta: number) => (ms += delta), set: (v: number) => (ms = v) };
}

/** Deterministic, increasing UUIDv7-shaped ids. */
export function sequentialIds(prefix = '0190aaaa') {
  let n = 0;
  return () => {
    n++;
    const hex = n.toString(16).padStart(12, '0');
    return `${prefix}-0000-7000-8000-${hex}`;
  };
}

export const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  taskName: name,
  maxAttempts: 3,
  triggerRules: { type: 'Always' },
  taskConfiguration: extra,
});
