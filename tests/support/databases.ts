/** Per-test databases: a fresh PostgreSQL schema or a fresh SQLite file, removed afterwards. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export function postgresUrl(): string {
  const url = process.env.CLOACINA_TEST_POSTGRES_URL;
  if (!url) throw new Error('CLOACINA_TEST_POSTGRES_URL is not set (the global setup sets it)');
  return url;
}

/** A unique, valid tenant schema name; the schema itself is created by migrate(). */
export function uniqueSchemaName(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client(postgresUrl());
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Runs SQL on the test server outside any DAL (raw reads that bypass the DAL). */
export async function withPgClient<T>(schema: string | null, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(postgresUrl());
  await client.connect();
  try {
    if (schema) await client.query(`SET search_path TO "${schema.replace(/"/g, '""')}"`);
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function tempDir(prefix = 'cloacina-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function tempSqliteFile(name = 'test.db'): { path: string; url: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir('cloacina-sqlite-');
  const path = join(dir, name);
  return { path, url: `sqlite://${path}`, cleanup };
}
