/**
 * Tenant provisioning on PostgreSQL (02 §2.7, 03 §15): one schema and one login role per
 * tenant. Each operation is one transaction, so a failure (or an existing role) changes
 * nothing. Names are validated before any SQL and always quoted; the password, which
 * PostgreSQL does not accept as a bind parameter, travels as an escaped literal.
 */
import { randomInt } from 'node:crypto';
import {
  assertLedgerNotNewer,
  ConfigurationError,
  detectBackend,
  MIGRATIONS,
  migrationAction,
  quoteIdent,
  urlSecrets,
  validateSchemaName,
  ValidationError,
  type TenantAdmin,
  type TenantCredentials,
} from '@cloacina/core';
import { isConnectionLoss, mapPgError } from './errors.js';
import type { Row } from './executor.js';
import { applyMigration, lockAndPrepare, type Queryable } from './migrate.js';
import { PgPool } from './pool.js';

const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 characters from [A-Za-z0-9], drawn without modulo bias from the crypto RNG. */
export function generatePassword(length = 32): string {
  let out = '';
  for (let i = 0; i < length; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

/**
 * A string literal that means the same whatever `standard_conforming_strings` says: an E''
 * literal with backslashes and quotes doubled. NUL cannot be represented and is refused.
 */
export function escapeLiteral(value: string): string {
  if (value.includes('\u0000')) throw new ValidationError('password must not contain NUL characters', { field: 'password', reason: 'InvalidCharacters' });
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function validateUsername(username: unknown): string {
  const name = validateSchemaName(username, 'username');
  if (name.toLowerCase() === 'postgres') {
    throw new ValidationError(`Invalid username name '${name}': '${name}' is reserved`, { field: 'username', reason: 'ReservedName' });
  }
  return name;
}

function checkPassword(password: unknown): string {
  if (password === undefined || password === null || password === '') return generatePassword();
  if (typeof password !== 'string') throw new ValidationError('password must be a string', { field: 'password' });
  escapeLiteral(password); // refuses NUL before anything runs
  return password;
}

/** The admin URL's scheme, host, port and database with the tenant's URL-encoded credentials. */
function tenantConnectionString(adminUrl: string, username: string, password: string): string {
  const u = new URL(adminUrl);
  return `${u.protocol}//${encodeURIComponent(username)}:${encodeURIComponent(password)}@${u.host}${u.pathname}`;
}

export async function createTenantAdmin(options: { url: string }): Promise<TenantAdmin> {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('createTenantAdmin needs { url }');
  const target = detectBackend(options.url);
  if (target.backend !== 'postgres') {
    throw new ConfigurationError('Tenant administration is only supported with PostgreSQL; dal-postgres cannot open a SQLite URL');
  }
  const secrets = urlSecrets(target.url);
  const pool = new PgPool({ url: target.url, schema: null, max: 2, acquireTimeoutMs: 30_000, applicationName: 'cloacina:admin', secrets });
  try {
    pool.release(await pool.acquire()); // fail fast on an unreachable server or bad credentials
  } catch (err) {
    await pool.end();
    throw err;
  }
  let closed = false;

  /** Runs fn in one transaction on one connection; `extraSecrets` are scrubbed from errors. */
  const inTransaction = async <T>(fn: (q: Queryable) => Promise<T>, extraSecrets: string[] = []): Promise<T> => {
    if (closed) throw new ConfigurationError('tenant admin is closed');
    const client = await pool.acquire();
    const hidden = [...secrets, ...extraSecrets];
    let broken: unknown;
    const q: Queryable = {
      query: async <R = Row>(sql: string, params: unknown[] = []) => {
        try {
          const r = await client.query(sql, params);
          return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
        } catch (err) {
          if (isConnectionLoss(err)) broken = err;
          // The cause is dropped: nothing from the failed statement may carry the password.
          const mapped = mapPgError(err, hidden);
          throw extraSecrets.length > 0 ? Object.assign(mapped, { cause: undefined }) : mapped;
        }
      },
    };
    try {
      await q.query('BEGIN');
      const result = await fn(q);
      await q.query('COMMIT');
      return result;
    } catch (err) {
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      pool.release(client, broken);
    }
  };

  const exists = async (q: Queryable, sql: string, name: string) => (await q.query(sql, [name])).rows.length > 0;
  const ROLE_SQL = 'SELECT 1 FROM pg_roles WHERE rolname = $1';
  const SCHEMA_SQL = 'SELECT 1 FROM pg_namespace WHERE nspname = $1';

  return {
    async createTenant(schema, username, password): Promise<TenantCredentials> {
      const s = validateSchemaName(schema, 'schema');
      const u = validateUsername(username);
      const pw = checkPassword(password);
      await inTransaction(async (q) => {
        if (await exists(q, ROLE_SQL, u)) throw new ValidationError(`Role '${u}' already exists`, { field: 'username', reason: 'RoleExists' });
        const S = quoteIdent(s);
        const U = quoteIdent(u);
        await q.query(`CREATE ROLE ${U} LOGIN PASSWORD ${escapeLiteral(pw)}`);
        // Migrations run inside the tenant schema, under the same lock as dal.migrate().
        await q.query(`SET LOCAL search_path TO ${S}`);
        const ledger = await lockAndPrepare(q, s);
        assertLedgerNotNewer(ledger);
        for (const m of MIGRATIONS) {
          if (migrationAction(m, ledger) === 'apply') await applyMigration(q, m, new Date());
        }
        await q.query(`GRANT USAGE, CREATE ON SCHEMA ${S} TO ${U}`);
        await q.query(`GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA ${S} TO ${U}`);
        await q.query(`GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA ${S} TO ${U}`);
        await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${S} GRANT ALL PRIVILEGES ON TABLES TO ${U}`);
        await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${S} GRANT ALL PRIVILEGES ON SEQUENCES TO ${U}`);
      }, [pw]);
      return { schema: s, username: u, password: pw, connectionString: tenantConnectionString(target.url, u, pw) };
    },

    async removeTenant(schema, username) {
      const s = validateSchemaName(schema, 'schema');
      const u = validateUsername(username);
      return inTransaction(async (q) => {
        const me = await q.query<{ u: string }>('SELECT current_user AS u');
        if (me.rows[0]?.u === u) throw new ValidationError(`Role '${u}' is the administrator's own role`, { field: 'username', reason: 'ReservedName' });
        const schemaDropped = await exists(q, SCHEMA_SQL, s);
        if (schemaDropped) await q.query(`DROP SCHEMA ${quoteIdent(s)} CASCADE`);
        const roleDropped = await exists(q, ROLE_SQL, u);
        if (roleDropped) {
          // Drops what the role owns here and revokes its privileges (incl. default privileges).
          await q.query(`DROP OWNED BY ${quoteIdent(u)}`);
          await q.query(`DROP ROLE ${quoteIdent(u)}`);
        }
        return { schemaDropped, roleDropped };
      });
    },

    async close() {
      closed = true;
      await pool.end();
    },
  };
}
