/** Shared by this package's PostgreSQL tests (excluded from the build). */
import pg from 'pg';
import { afterEach } from 'vitest';

export const TEST_URL = process.env.CLOACINA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A list of clean-up steps, run in reverse after every test of the file that calls this. */
export function useCleanups(): Array<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return cleanups;
}

/** One statement on a fresh connection outside any DAL, for setup and raw assertions. */
export async function raw<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client(TEST_URL);
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
