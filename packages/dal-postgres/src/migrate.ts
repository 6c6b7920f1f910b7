/**
 * Migrations (01 §8.3): one transaction per version, serialized across processes and
 * implementations by a transaction-level advisory lock keyed on the schema. The ledger
 * lives in the schema (unqualified names resolve through the connection's search_path).
 */
import {
  assertLedgerNotNewer,
  LEDGER_TABLE,
  ledgerDdl,
  MIGRATIONS,
  migrationAction,
  migrationLockKey,
  quoteIdent,
  type LedgerRow,
  type Migration,
  type MigrationReport,
} from '@cloacina/core';
import type { Exec, QueryResult, Row } from './executor.js';
import { ts } from './shared.js';

/** Anything that runs a statement: an Exec, or a bare client wrapped by the tenant admin. */
export interface Queryable {
  query<R = Row>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

/** The ledger rows, or null when the ledger table does not exist (yet) in the search path. */
export async function readLedger(q: Queryable): Promise<LedgerRow[] | null> {
  const present = await q.query<{ present: boolean }>(`SELECT to_regclass('${LEDGER_TABLE}') IS NOT NULL AS present`);
  if (!present.rows[0]?.present) return null;
  const r = await q.query<{ version: number; name: string }>(`SELECT version, name FROM ${LEDGER_TABLE} ORDER BY version`);
  return r.rows.map((x) => ({ version: Number(x.version), name: x.name }));
}

/**
 * Steps 1–2 inside an open transaction: take the schema's migration lock, create the schema
 * when missing (checked first, so a tenant role without database-level CREATE can still
 * run on a provisioned schema) and the ledger; returns the ledger rows.
 */
export async function lockAndPrepare(q: Queryable, schema: string | null): Promise<LedgerRow[]> {
  await q.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(schema)]);
  if (schema !== null) {
    const exists = await q.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present', [schema]);
    if (!exists.rows[0]?.present) {
      await q.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      // Re-assert the path so the new schema is the creation target in this transaction.
      await q.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    }
  }
  const rows = await readLedger(q);
  if (rows !== null) return rows;
  await q.query(ledgerDdl('postgres'));
  return [];
}

/** Step 4: runs one migration's statements and records it in the ledger. */
export async function applyMigration(q: Queryable, m: Migration, appliedAt: Date): Promise<void> {
  for (const stmt of m.statements.postgres) await q.query(stmt);
  await q.query(`INSERT INTO ${LEDGER_TABLE} (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, ts(appliedAt)]);
}

/** `dal.migrate()`: each version in its own locked transaction; concurrent callers are safe. */
export async function runMigrations(e: Exec, schema: string | null): Promise<MigrationReport> {
  const before = await readLedger(e);
  if (before) assertLedgerNotNewer(before);
  const applied: MigrationReport['applied'] = [];
  let current = 0;
  for (const m of MIGRATIONS) {
    const didApply = await e.tx(async (c) => {
      const rows = await lockAndPrepare(c, schema);
      assertLedgerNotNewer(rows);
      if (migrationAction(m, rows) === 'skip') return false;
      await applyMigration(c, m, c.now());
      return true;
    });
    if (didApply) applied.push({ version: m.version, name: m.name });
    current = m.version;
  }
  return { applied, current };
}
