/**
 * Makes sure a PostgreSQL server answers before any test runs, so PostgreSQL tests never
 * silently skip. Order: CLOACINA_TEST_POSTGRES_URL; else the local default server; else a
 * throwaway cluster started from the PostgreSQL binaries on this machine.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function findPgBin(): string | null {
  const roots = ['/usr/lib/postgresql'];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    const versions = readdirSync(root).sort().reverse();
    for (const v of versions) {
      const bin = join(root, v, 'bin');
      if (existsSync(join(bin, 'initdb'))) return bin;
    }
  }
  return null;
}

let throwaway: { proc: ChildProcess; dir: string } | null = null;

async function startThrowaway(): Promise<string> {
  const bin = findPgBin();
  if (!bin) throw new Error('No PostgreSQL server answers and no PostgreSQL binaries were found; set CLOACINA_TEST_POSTGRES_URL');
  const dir = mkdtempSync(join(tmpdir(), 'cloacina-pg-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const asUser = process.getuid?.() === 0 ? ['-u', 'postgres'] : [];
  if (asUser.length) execFileSync('chown', ['postgres', dir]);
  const run = (cmd: string, args: string[]) =>
    asUser.length ? execFileSync('runuser', [...asUser, '--', cmd, ...args], { stdio: 'ignore' }) : execFileSync(cmd, args, { stdio: 'ignore' });
  run(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust']);
  const args = ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'];
  const proc = asUser.length ? spawn('runuser', [...asUser, '--', join(bin, 'postgres'), ...args], { stdio: 'ignore' }) : spawn(join(bin, 'postgres'), args, { stdio: 'ignore' });
  throwaway = { proc, dir };
  const base = `postgres://postgres@127.0.0.1:${port}/postgres`;
  for (let i = 0; i < 100; i++) {
    if (await answers(base)) {
      const c = new pg.Client(base);
      await c.connect();
      await c.query('CREATE DATABASE test');
      await c.end();
      return `postgres://postgres@127.0.0.1:${port}/test`;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('throwaway PostgreSQL did not start');
}

export async function setup(): Promise<void> {
  const configured = process.env.CLOACINA_TEST_POSTGRES_URL;
  if (configured) {
    if (!(await answers(configured))) throw new Error(`PostgreSQL at CLOACINA_TEST_POSTGRES_URL does not answer`);
    return;
  }
  process.env.CLOACINA_TEST_POSTGRES_URL = (await answers(DEFAULT_URL)) ? DEFAULT_URL : await startThrowaway();
}

/**
 * The suite creates and drops a schema per test, which leaves dead rows in the system catalogs.
 * A server running without autovacuum (as some test servers do) would keep them, and every
 * later run would plan and look up tables more slowly; the suite cleans up after itself.
 */
async function vacuumCatalogs(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ on: string }>("SELECT current_setting('autovacuum') AS on");
    if (rows[0]?.on === 'on') return;
    await client.query('VACUUM pg_catalog.pg_attribute, pg_catalog.pg_class, pg_catalog.pg_depend, pg_catalog.pg_type, pg_catalog.pg_constraint, pg_catalog.pg_index, pg_catalog.pg_namespace');
  } catch {
    // Best effort: a role without the right to vacuum the catalogs simply leaves them as they are.
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function teardown(): Promise<void> {
  const url = process.env.CLOACINA_TEST_POSTGRES_URL;
  if (url && !throwaway) await vacuumCatalogs(url);
  if (throwaway) {
    throwaway.proc.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(throwaway.dir, { recursive: true, force: true });
  }
}
