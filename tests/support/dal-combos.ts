/**
 * Every DAL implementation × backend combination the shared suites run against
 * (spec 02 §9). CLOACINA_DALS=dal-sqlite,dal-unified:postgres narrows the list while developing.
 */
import type { Dal, DalOptions } from '@cloacina/core';
import { createPostgresDal } from '@cloacina/dal-postgres';
import { createSqliteDal } from '@cloacina/dal-sqlite';
import { createUnifiedDal } from '@cloacina/dal-unified';
import { dropSchema, postgresUrl, tempSqliteFile, uniqueSchemaName } from './databases.js';
import { openRawPostgres, openRawSqlite, type RawDb } from './raw-db.js';

export type BackendName = 'postgres' | 'sqlite';

export interface DalCombo {
  /** e.g. "dal-sqlite:sqlite" */
  name: string;
  implementation: 'dal-postgres' | 'dal-sqlite' | 'dal-unified';
  backend: BackendName;
  create(options: DalOptions): Promise<Dal>;
  /** Module path of the package (for child-process workers, which import built dist). */
  packageName: string;
  factoryName: string;
}

const ALL: DalCombo[] = [
  { name: 'dal-postgres:postgres', implementation: 'dal-postgres', backend: 'postgres', create: (o) => createPostgresDal(o), packageName: '@cloacina/dal-postgres', factoryName: 'createPostgresDal' },
  { name: 'dal-sqlite:sqlite', implementation: 'dal-sqlite', backend: 'sqlite', create: (o) => createSqliteDal(o), packageName: '@cloacina/dal-sqlite', factoryName: 'createSqliteDal' },
  { name: 'dal-unified:postgres', implementation: 'dal-unified', backend: 'postgres', create: (o) => createUnifiedDal(o), packageName: '@cloacina/dal-unified', factoryName: 'createUnifiedDal' },
  { name: 'dal-unified:sqlite', implementation: 'dal-unified', backend: 'sqlite', create: (o) => createUnifiedDal(o), packageName: '@cloacina/dal-unified', factoryName: 'createUnifiedDal' },
];

export function selectedCombos(): DalCombo[] {
  const filter = process.env.CLOACINA_DALS?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!filter || filter.length === 0) return ALL;
  return ALL.filter((c) => filter.some((f) => c.name === f || c.implementation === f || c.name.startsWith(`${f}:`)));
}

export function combosFor(backend: BackendName): DalCombo[] {
  return selectedCombos().filter((c) => c.backend === backend);
}

/** A fresh, empty database location for one backend: a new schema or a new file. */
export interface TestDatabase {
  backend: BackendName;
  url: string;
  schema: string | undefined;
  /** SQLite file path (undefined on PostgreSQL). */
  path: string | undefined;
  raw(): Promise<RawDb>;
  cleanup(): Promise<void>;
}

export function freshDatabase(backend: BackendName): TestDatabase {
  if (backend === 'postgres') {
    const schema = uniqueSchemaName('c');
    return { backend, url: postgresUrl(), schema, path: undefined, raw: () => openRawPostgres(schema), cleanup: () => dropSchema(schema) };
  }
  const f = tempSqliteFile();
  return { backend, url: f.url, schema: undefined, path: f.path, raw: () => openRawSqlite(f.path), cleanup: async () => f.cleanup() };
}
