/**
 * migrate() for SQLite (01 §8.3): one BEGIN IMMEDIATE transaction per version, which waits
 * (busy_timeout) for any other writer, so concurrent migrate() calls from other connections,
 * processes or DAL implementations each see the ledger their predecessor committed.
 */
import {
  assertLedgerNotNewer,
  encodeTimestamp,
  LEDGER_TABLE,
  ledgerDdl,
  MIGRATIONS,
  migrationAction,
  type LedgerRow,
  type MigrationReport,
} from '@cloacina/core';
import type { Connection } from './connection.js';
import { rollbackQuietly } from './scope.js';

/** The ledger rows, or [] when the ledger does not exist yet. */
export async function readLedger(conn: Connection): Promise<LedgerRow[]> {
  const table = await conn.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?", [LEDGER_TABLE]);
  if (!table) return [];
  return conn.all<LedgerRow>(`SELECT version, name FROM ${LEDGER_TABLE} ORDER BY version`);
}

/**
 * Applies the missing migrations. `withWriter` runs a read while holding the DAL's writer lock;
 * `withWrite` also takes the file's write turn (one hold per version, so other callers are not
 * starved during long migrations).
 */
export async function runMigrations(
  withWriter: <T>(fn: (c: Connection) => Promise<T>) => Promise<T>,
  withWrite: <T>(fn: (c: Connection) => Promise<T>) => Promise<T>,
  now: () => Date,
): Promise<MigrationReport> {
  // Before step 1: a newer database is refused outright.
  assertLedgerNotNewer(await withWriter(readLedger));
  const applied: { version: number; name: string }[] = [];
  for (const m of MIGRATIONS) {
    await withWrite(async (conn) => {
      await conn.exec('BEGIN IMMEDIATE');
      try {
        await conn.exec(ledgerDdl('sqlite'));
        const rows = await conn.all<LedgerRow>(`SELECT version, name FROM ${LEDGER_TABLE} ORDER BY version`);
        assertLedgerNotNewer(rows);
        if (migrationAction(m, rows) === 'apply') {
          for (const sql of m.statements.sqlite) await conn.exec(sql);
          await conn.run(`INSERT INTO ${LEDGER_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`, [
            m.version,
            m.name,
            encodeTimestamp(now()),
          ]);
          applied.push({ version: m.version, name: m.name });
        }
        await conn.exec('COMMIT');
      } catch (err) {
        await rollbackQuietly(conn);
        throw err;
      }
    });
  }
  const rows = await withWriter(readLedger);
  const current = rows.reduce((max, r) => Math.max(max, Number(r.version)), 0);
  return { applied, current };
}
