/** Raw database access that bypasses every DAL: for encoding checks, dumps and fault injection. */
import sqlite3 from 'sqlite3';
import pg from 'pg';
import { postgresUrl } from './databases.js';

export interface RawDb {
  readonly backend: 'postgres' | 'sqlite';
  /** `?` placeholders on SQLite, `$1…` on PostgreSQL. */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function openRawPostgres(schema: string | null): Promise<RawDb> {
  const client = new pg.Client(postgresUrl());
  await client.connect();
  if (schema) await client.query(`SET search_path TO "${schema.replace(/"/g, '""')}"`);
  return {
    backend: 'postgres',
    query: async (sql, params = []) => (await client.query(sql, params)).rows,
    close: () => client.end(),
  };
}

export async function openRawSqlite(path: string): Promise<RawDb> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(d)));
  });
  db.configure('busyTimeout', 30_000);
  return {
    backend: 'sqlite',
    query: (sql, params = []) =>
      new Promise((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as Record<string, unknown>[])))),
    close: () => new Promise((resolve, reject) => db.close((err) => (err ? reject(err) : resolve()))),
  };
}
