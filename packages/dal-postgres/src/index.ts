/**
 * @cloacina/dal-postgres — the legacy PostgreSQL DAL: hand-written SQL on a `pg` Pool,
 * implementing the DAL contract of spec 02 (and the tenant administration of 02 §2.7).
 */
import {
  assertLedgerNotNewer,
  ConfigurationError,
  detectBackend,
  newId,
  signalChannelKey,
  StatementNames,
  urlSecrets,
  validateSchemaName,
  type Dal,
  type DalOptions,
} from '@cloacina/core';
import { createRootDal } from './dal.js';
import { Exec, type Runtime } from './executor.js';
import { acquireListener, type ListenHandle } from './listen.js';
import { readLedger } from './migrate.js';
import { applicationName, PgPool } from './pool.js';

export { createTenantAdmin } from './tenant-admin.js';
export { SIGNAL_CHANNEL } from './listen.js';
export const PACKAGE_NAME = '@cloacina/dal-postgres';

function positiveInt(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new ConfigurationError(`${name} must be a positive integer; got ${String(v)}`);
  }
  return v;
}

function optionalFunction<F>(v: unknown, name: string): F | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'function') throw new ConfigurationError(`${name} must be a function`);
  return v as F;
}

/**
 * Opens a PostgreSQL DAL (02 §2.1): validates the options, opens one connection (an
 * unreachable server fails fast with DatabaseError), applies the connection settings,
 * refuses a database whose ledger is newer than this library, and starts the LISTEN
 * connection. It does not migrate; call `migrate()`.
 */
export async function createPostgresDal(options: DalOptions): Promise<Dal> {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('createPostgresDal needs an options object');
  const target = detectBackend(options.url);
  if (target.backend !== 'postgres') throw new ConfigurationError('dal-postgres cannot open a SQLite URL');
  const schema = options.schema === undefined || options.schema === null ? null : validateSchemaName(options.schema);
  const poolSize = positiveInt(options.poolSize, 'poolSize', 10);
  const acquireTimeoutMs = positiveInt(options.acquireTimeoutMs, 'acquireTimeoutMs', 30_000);
  if (options.runnerId !== undefined && (typeof options.runnerId !== 'string' || options.runnerId.length === 0 || options.runnerId.includes('\u0000'))) {
    throw new ConfigurationError('runnerId must be a non-empty string');
  }
  if (options.listen !== undefined && typeof options.listen !== 'boolean') throw new ConfigurationError('listen must be a boolean');
  const clock = optionalFunction<() => Date>(options.clock, 'clock') ?? (() => new Date());
  const idGenerator = optionalFunction<() => string>(options.idGenerator, 'idGenerator') ?? newId;
  const runnerId = options.runnerId ?? null;
  const secrets = urlSecrets(target.url);

  const pool = new PgPool({
    url: target.url,
    schema,
    max: poolSize,
    acquireTimeoutMs,
    applicationName: applicationName(runnerId),
    secrets,
    logger: options.logger,
  });
  const rt: Runtime = {
    pool,
    schema,
    signalKey: signalChannelKey(target, schema),
    runnerId,
    clock,
    idGenerator,
    secrets,
    logger: options.logger,
    names: new StatementNames(),
  };

  let listen: ListenHandle | null = null;
  try {
    // The first statement opens (and sets up) the first pooled connection: fail fast.
    const ledger = await readLedger(new Exec(rt));
    if (ledger) assertLedgerNotNewer(ledger);
    if (options.listen !== false) listen = await acquireListener(rt.signalKey, target.url, schema, secrets, options.logger);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return createRootDal(rt, listen);
}

export type { Dal, DalOptions, TenantAdmin, TenantCredentials } from '@cloacina/core';
