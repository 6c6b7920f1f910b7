/**
 * The TypeORM DataSource of one DAL instance: built per backend from the one entity set,
 * `synchronize` and TypeORM migrations off (the schema comes from core's MIGRATIONS through the
 * shared `cloacina_migrations` ledger), connection settings applied by the dialect. Also the
 * ledger check of the factory and the migration procedure of 01 §8.3.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import {
  assertLedgerNotNewer,
  CloacinaError,
  ConfigurationError,
  DatabaseError,
  LATEST_SCHEMA_VERSION,
  LEDGER_TABLE,
  ledgerDdl,
  migrationAction,
  MIGRATIONS,
  type LedgerRow,
  type MigrationReport,
} from '@cloacina/core';
import type { Dialect } from './dialect/index.js';
import { buildEntities } from './entities/index.js';
import { mapDriverError } from './errors.js';
import { buildParams, buildTables, runTransaction, type Params, type Runtime, type Scope, type Session, type Tables } from './shared/index.js';

export interface OpenedDataSource {
  ds: DataSource;
  tables: Tables;
  params: Params;
}

function asDatabaseError(err: unknown, d: Dialect): unknown {
  const mapped = mapDriverError(err, d.backend, d.secrets);
  if (mapped instanceof CloacinaError) return mapped;
  let message = String((mapped as Error)?.message ?? mapped);
  for (const secret of d.secrets) message = message.split(secret).join('****');
  return new DatabaseError(message, { backend: d.backend, dbCode: 'CONNECT', cause: err });
}

/** Builds and initialises the DataSource (one connection opened: an unreachable database fails fast). */
export async function openDataSource(dialect: Dialect): Promise<OpenedDataSource> {
  const entities = buildEntities(dialect.backend);
  const ds = new DataSource(dialect.dataSourceOptions(Object.values(entities)));
  try {
    await ds.initialize();
  } catch (err) {
    throw asDatabaseError(err, dialect);
  }
  try {
    await dialect.afterInitialize(ds);
  } catch (err) {
    await dialect.beforeDestroy?.().catch(() => undefined);
    await ds.destroy().catch(() => undefined);
    throw asDatabaseError(err, dialect);
  }
  const tables = buildTables(ds, entities);
  return { ds, tables, params: buildParams(tables) };
}

async function readLedger(s: Session): Promise<LedgerRow[]> {
  const rows = await s.rows(`SELECT version, name FROM ${LEDGER_TABLE} ORDER BY version`);
  return rows.map((r) => ({ version: Number(r.version), name: String(r.name) }));
}

/** Factory check: a ledger that knows a newer version than this library → ConfigurationError. */
export async function checkLedger(scope: Scope): Promise<void> {
  await scope.run(async (s) => {
    if (!(await scope.rt.d.ledgerExists(s))) return;
    assertLedgerNotNewer(await readLedger(s));
  });
}

/**
 * 01 §8.3: per version, one transaction holding the migration lock (PostgreSQL advisory xact
 * lock on core's migrationLockKey(schema); SQLite BEGIN IMMEDIATE); create the schema and the
 * ledger if missing; skip recorded versions; otherwise run the statements and record the version.
 */
export async function runMigrations(scope: Scope): Promise<MigrationReport> {
  const rt: Runtime = scope.rt;
  scope.guard();
  rt.enter();
  try {
    const applied: MigrationReport['applied'] = [];
    for (const m of MIGRATIONS) {
      const done = await runTransaction(rt, async (s) => {
        await rt.d.lockMigrations(s, rt.schema);
        await rt.d.ensureSchema(s, rt.schema);
        await s.exec(ledgerDdl(rt.backend));
        const rows = await readLedger(s);
        try {
          assertLedgerNotNewer(rows);
        } catch (err) {
          // From now on this DAL refuses every method against this database (01 §8.3).
          if (err instanceof ConfigurationError) rt.refusal = err;
          throw err;
        }
        if (migrationAction(m, rows) === 'skip') return false;
        for (const sql of m.statements[rt.backend]) await s.exec(sql);
        await s.exec(`INSERT INTO ${LEDGER_TABLE} (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, rt.p.ts(rt.now())]);
        return true;
      });
      if (done) applied.push({ version: m.version, name: m.name });
    }
    return { applied, current: LATEST_SCHEMA_VERSION };
  } finally {
    rt.leave();
  }
}
