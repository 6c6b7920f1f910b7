import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, ValidationError } from '@cloacina/core';
import { createPostgresDal, createTenantAdmin } from './index.js';
import { escapeLiteral } from './tenant-admin.js';
import { raw, TEST_URL, useCleanups } from './testing/pg-test.js';

const URL = TEST_URL;
const cleanups = useCleanups();

async function exists(kind: 'role' | 'schema', name: string): Promise<boolean> {
  const sql = kind === 'role' ? 'SELECT 1 FROM pg_roles WHERE rolname = $1' : 'SELECT 1 FROM pg_namespace WHERE nspname = $1';
  return (await raw(sql, [name])).length > 0;
}

function names(): { schema: string; username: string } {
  const tag = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  return { schema: `ta_${tag}`, username: `tu_${tag}` };
}

/** True when the role's stored verifier (SCRAM-SHA-256 or md5) matches the password. */
async function passwordMatches(username: string, password: string): Promise<boolean> {
  const [row] = await raw<{ p: string | null }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [username]);
  const stored = row?.p ?? '';
  if (stored.startsWith('md5')) return stored === `md5${createHash('md5').update(password + username).digest('hex')}`;
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored);
  if (!m) return false;
  const salted = pbkdf2Sync(password.normalize('NFKC'), Buffer.from(m[2]!, 'base64'), Number(m[1]), 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
  return storedKey === m[3];
}

async function admin() {
  const a = await createTenantAdmin({ url: URL });
  cleanups.push(() => a.close());
  return a;
}

describe('tenant admin', () => {
  it('creates a tenant the tenant can use, then removes it idempotently', async () => {
    const a = await admin();
    const { schema, username } = names();
    cleanups.push(async () => {
      await a.removeTenant(schema, username).catch(() => undefined);
    });
    const creds = await a.createTenant(schema, username);
    expect(creds.schema).toBe(schema);
    expect(creds.username).toBe(username);
    expect(creds.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await passwordMatches(username, creds.password)).toBe(true);
    const u = new globalThis.URL(URL);
    expect(creds.connectionString).toBe(`${u.protocol}//${username}:${creds.password}@${u.host}${u.pathname}`);
    const ledger = await raw<{ version: number }>(`SELECT version FROM "${schema}".cloacina_migrations ORDER BY version`);
    expect(ledger.map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);

    const dal = await createPostgresDal({ url: creds.connectionString, schema, poolSize: 1, listen: false });
    try {
      expect((await dal.migrate()).applied).toEqual([]);
      const id = await dal.context.create({ hello: 'tenant' });
      expect(await dal.context.read(id!)).toEqual({ hello: 'tenant' });
      const who = await raw<{ owner: string }>(`SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = '"${schema}".contexts'::regclass`);
      expect(who[0]!.owner).toBe('postgres');
    } finally {
      await dal.close();
    }

    await expect(a.createTenant(schema, username, 'other')).rejects.toThrow(`Role '${username}' already exists`);
    expect(await a.removeTenant(schema, username)).toEqual({ schemaDropped: true, roleDropped: true });
    expect(await exists('role', username)).toBe(false);
    expect(await exists('schema', schema)).toBe(false);
    expect(await a.removeTenant(schema, username)).toEqual({ schemaDropped: false, roleDropped: false });
  });

  it('uses a given password, escaping quotes and backslashes', async () => {
    const a = await admin();
    const { schema, username } = names();
    cleanups.push(async () => {
      await a.removeTenant(schema, username).catch(() => undefined);
    });
    const password = `it's a \\ "pass" wörd`;
    const creds = await a.createTenant(schema, username, password);
    expect(creds.password).toBe(password);
    const c = new pg.Client(creds.connectionString);
    await c.connect();
    try {
      expect((await c.query('SELECT current_user AS u')).rows[0].u).toBe(username);
    } finally {
      await c.end();
    }
    expect(await passwordMatches(username, password)).toBe(true);
    expect(await passwordMatches(username, 'wrong')).toBe(false);
    expect(escapeLiteral("a'b\\c")).toBe("E'a''b\\\\c'");
  });

  it('rejects injection-shaped and reserved names without changing anything', async () => {
    const a = await admin();
    const before = await raw<{ n: number }>('SELECT (SELECT count(*) FROM pg_roles)::int + (SELECT count(*) FROM pg_namespace)::int AS n');
    for (const [schema, username] of [
      ['a;drop schema public', 'tu_ok'],
      ['ta_ok', 'x"; DROP ROLE postgres; --'],
      ['public', 'tu_ok'],
      ['ta_ok', 'postgres'],
      ['ta_ok', 'POSTGRES'],
      ['1abc', 'tu_ok'],
      ['', 'tu_ok'],
    ]) {
      await expect(a.createTenant(schema!, username!)).rejects.toBeInstanceOf(ValidationError);
      await expect(a.removeTenant(schema!, username!)).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(a.createTenant('ta_ok', 'tu_ok', 'nul\u0000byte')).rejects.toBeInstanceOf(ValidationError);
    const after = await raw<{ n: number }>('SELECT (SELECT count(*) FROM pg_roles)::int + (SELECT count(*) FROM pg_namespace)::int AS n');
    expect(after).toEqual(before);
    expect(await exists('role', 'tu_ok')).toBe(false);
  });

  it('refuses SQLite URLs and calls after close', async () => {
    await expect(createTenantAdmin({ url: 'sqlite::memory:' })).rejects.toBeInstanceOf(ConfigurationError);
    const a = await createTenantAdmin({ url: URL });
    await a.close();
    await expect(a.createTenant('ta_x', 'tu_x')).rejects.toBeInstanceOf(ConfigurationError);
  });
});
