/**
 * @cloacina/dal-unified — one DAL implementation on TypeORM 0.3 for PostgreSQL and SQLite,
 * selected at run time from the URL, reading and writing exactly the schema and values of the
 * legacy dal-postgres / dal-sqlite (02 §2, §8).
 */
import {
  ConfigurationError,
  detectBackend,
  isMemoryTarget,
  isPlainObject,
  newId,
  SQLITE_SCHEMA_MESSAGE,
  validateSchemaName,
  type Dal,
  type DalOptions,
} from '@cloacina/core';
import { UnifiedDal } from './dal.js';
import { checkLedger, openDataSource } from './data-source.js';
import { createDialect, type DialectConfig } from './dialect/index.js';
import { buildParams, RootScope, Runtime } from './shared/index.js';

export { UnifiedDal } from './dal.js';
export { ENTITY_DEFS, buildEntities, type EntityDef, type EntityKey } from './entities/index.js';

export const PACKAGE_NAME = '@cloacina/dal-unified';

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

// Option mistakes are ConfigurationErrors, as in the legacy factories; only a malformed tenant
// schema name is a ValidationError (with its reason, 01 §10).
function positiveInt(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new ConfigurationError(`${name} must be a positive integer; got ${String(v)}`);
  return v;
}

function nonNegativeMs(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 2_147_483_647) {
    throw new ConfigurationError(`${name} must be a non-negative number of milliseconds; got ${String(v)}`);
  }
  return Math.trunc(v);
}

function optionalFunction(v: unknown, name: string): void {
  if (v !== undefined && typeof v !== 'function') throw new ConfigurationError(`${name} must be a function`);
}

/** Validates the options (02 §2.1) before any connection is made. */
export function resolveOptions(options: DalOptions): DialectConfig {
  if (!isPlainObject(options)) throw new ConfigurationError('createUnifiedDal needs an options object with a url');
  const target = detectBackend(options.url);
  const postgres = target.backend === 'postgres';
  let schema: string | null = null;
  if (options.schema !== undefined && options.schema !== null) {
    if (!postgres) throw new ConfigurationError(SQLITE_SCHEMA_MESSAGE);
    schema = validateSchemaName(options.schema);
  }
  const poolSize = positiveInt(options.poolSize, 'poolSize', postgres ? 10 : 1);
  if (isMemoryTarget(target) && poolSize > 1) {
    throw new ConfigurationError(`an in-memory SQLite database has exactly one connection; poolSize ${poolSize} is not possible`);
  }
  // As the legacy DALs: PostgreSQL takes whole milliseconds >= 1 (pg's timeout 0 means "none").
  const acquireTimeoutMs = postgres
    ? positiveInt(options.acquireTimeoutMs, 'acquireTimeoutMs', 30_000)
    : nonNegativeMs(options.acquireTimeoutMs, 'acquireTimeoutMs', 30_000);
  const runnerId = options.runnerId;
  if (runnerId !== undefined && (typeof runnerId !== 'string' || runnerId.length === 0 || runnerId.includes('\u0000'))) {
    throw new ConfigurationError('runnerId must be a non-empty string');
  }
  optionalFunction(options.clock, 'clock');
  optionalFunction(options.idGenerator, 'idGenerator');
  if (options.listen !== undefined && typeof options.listen !== 'boolean') throw new ConfigurationError('listen must be a boolean');
  if (options.sqlite !== undefined && options.sqlite !== null) {
    if (!isPlainObject(options.sqlite)) throw new ConfigurationError('sqlite must be an object');
    nonNegativeMs(options.sqlite.busyTimeoutMs, 'sqlite.busyTimeoutMs', 30_000);
    if (options.sqlite.synchronous !== undefined && !SYNCHRONOUS.includes(options.sqlite.synchronous)) {
      throw new ConfigurationError(`sqlite.synchronous must be one of ${SYNCHRONOUS.join(', ')}; got ${String(options.sqlite.synchronous)}`);
    }
  }
  return { target, options, schema, poolSize, acquireTimeoutMs, logger: options.logger };
}

/**
 * Opens a DAL on the database named by `options.url` (PostgreSQL or SQLite). Opens one
 * connection (fail fast), applies the connection settings, refuses a database whose ledger is
 * newer than this library, and starts cross-process signals (PostgreSQL). Does not migrate.
 */
export async function createUnifiedDal(options: DalOptions): Promise<Dal> {
  const cfg = resolveOptions(options);
  const dialect = createDialect(cfg);
  const { ds, tables } = await openDataSource(dialect);
  const rt = new Runtime({
    ds,
    dialect,
    tables,
    params: buildParams(tables),
    schema: cfg.schema,
    clock: options.clock ?? (() => new Date()),
    idGenerator: options.idGenerator ?? newId,
    runnerId: options.runnerId ?? null,
    logger: options.logger,
  });
  const root = new RootScope(rt);
  let stopSignals: () => Promise<void>;
  try {
    await checkLedger(root);
    stopSignals = await dialect.startSignals((signals) => rt.publish(signals));
  } catch (err) {
    await dialect.beforeDestroy?.().catch(() => undefined);
    await ds.destroy().catch(() => undefined);
    throw err;
  }
  return new UnifiedDal(root, { stopSignals, closing: null });
}
