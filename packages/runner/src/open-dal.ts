import { ConfigurationError, type Dal, type DalFactory, type DalOptions } from '@cloacina/core';
import type { RunnerConfig } from './options.js';

/** Package and factory behind each `dal` choice (03 §12.2, 02 §2.1). */
const FACTORIES = {
  unified: { pkg: '@cloacina/dal-unified', factory: 'createUnifiedDal' },
  postgres: { pkg: '@cloacina/dal-postgres', factory: 'createPostgresDal' },
  sqlite: { pkg: '@cloacina/dal-sqlite', factory: 'createSqliteDal' },
} as const;

/**
 * Loads a DAL factory on demand. Loading lazily keeps a SQLite-only application from loading
 * the PostgreSQL driver (and the ORM when it uses a legacy DAL); the specifier is a variable so
 * the runner type-checks against the contract in core rather than any one implementation.
 */
async function loadFactory(which: keyof typeof FACTORIES): Promise<DalFactory> {
  const { pkg, factory } = FACTORIES[which];
  const specifier: string = pkg;
  const mod = (await import(specifier)) as Record<string, unknown>;
  const fn = mod[factory];
  if (typeof fn !== 'function') throw new ConfigurationError(`${pkg} does not export ${factory}()`);
  return fn as DalFactory;
}

export function dalOptionsFor(config: RunnerConfig): DalOptions {
  const options: DalOptions = {
    url: config.databaseUrl as string,
    poolSize: config.dbPoolSize,
    runnerId: config.runnerId,
    clock: config.clock,
    logger: config.logger,
    listen: config.listenNotify,
  };
  if (config.schema !== undefined) options.schema = config.schema;
  if (config.backend === 'sqlite') options.sqlite = { ...config.sqlite };
  return options;
}

/** Opens the DAL the configuration asks for; `owned` says whether the runner must close it. */
export async function openDal(config: RunnerConfig): Promise<{ dal: Dal; owned: boolean }> {
  if (typeof config.dal === 'object') return { dal: config.dal, owned: false };
  const which = config.dal === 'unified' ? 'unified' : config.backend;
  const factory = await loadFactory(which);
  return { dal: await factory(dalOptionsFor(config)), owned: true };
}
