import { afterEach, describe, expect, it } from 'vitest';
import { ALL_TABLES, ConfigurationError, DatabaseError, SQLITE_SCHEMA_MESSAGE, type Dal } from '@cloacina/core';
import { createUnifiedDal, ENTITY_DEFS } from './index.js';
import { columnName } from './entities/index.js';
import { PG_URL, testDb, uniqueSchema, type TestDb } from './testing/support.js';

describe('URL and options', () => {
  const opened: Dal[] = [];
  let db: TestDb | undefined;
  afterEach(async () => {
    for (const d of opened.splice(0)) await d.close();
    await db?.cleanup();
    db = undefined;
  });
  const open = async (url: string, extra = {}) => {
    const dal = await createUnifiedDal({ url, ...extra });
    opened.push(dal);
    return dal;
  };

  it('opens sqlite::memory: and migrates it', async () => {
    const dal = await open('sqlite::memory:');
    expect(dal.backend).toBe('sqlite');
    expect((await dal.migrate()).current).toBe(5);
    expect(dal.poolStats()).toEqual({ total: 1, idle: 1, waiting: 0, max: 1 });
  });

  it('opens postgres:// and postgresql:// URLs', async () => {
    for (const url of [PG_URL, PG_URL.replace(/^postgres:/, 'postgresql:')]) {
      const dal = await open(url, { poolSize: 1, listen: false });
      expect(dal.backend).toBe('postgres');
      expect(dal.schema).toBeNull();
    }
  });

  it('opens sqlite://file.db and applies the pragmas', async () => {
    db = testDb('sqlite');
    const dal = await db.open({ sqlite: { busyTimeoutMs: 1234, synchronous: 'FULL' } });
    await dal.migrate();
    expect((await db.raw('PRAGMA journal_mode'))[0]!.journal_mode).toBe('wal');
  });

  it('rejects unknown schemes, SQLite schemas and bad options with the right errors', async () => {
    await expect(createUnifiedDal({ url: 'mysql://u:secret@h/db' })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(createUnifiedDal({ url: 'mysql://u:secret@h/db' })).rejects.not.toThrow('secret');
    await expect(createUnifiedDal({ url: 'sqlite::memory:', schema: 'tenant_a' })).rejects.toThrow(SQLITE_SCHEMA_MESSAGE);
    await expect(createUnifiedDal({ url: 'sqlite::memory:', poolSize: 2 })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(createUnifiedDal({ url: PG_URL, schema: 'pg_nope' })).rejects.toMatchObject({ code: 'VALIDATION', reason: 'ReservedName' });
    await expect(createUnifiedDal({ url: PG_URL, schema: '1abc' })).rejects.toMatchObject({ reason: 'InvalidStart' });
    await expect(createUnifiedDal({ url: PG_URL, schema: 'a-b' })).rejects.toMatchObject({ reason: 'InvalidCharacters' });
    await expect(createUnifiedDal({ url: PG_URL, poolSize: 0 })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(createUnifiedDal({ url: 'sqlite::memory:', clock: 5 as never })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('fails fast with DatabaseError on an unreachable server, without leaking the password', async () => {
    const err = await createUnifiedDal({ url: 'postgres://u:hunter2@127.0.0.1:1/db', acquireTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(String((err as Error).message)).not.toContain('hunter2');
  });

  it('refuses a database whose ledger is newer than this library', async () => {
    for (const backend of ['sqlite', 'postgres'] as const) {
      db = testDb(backend);
      const dal = await db.open({ listen: false });
      await dal.migrate();
      await db.raw(`INSERT INTO cloacina_migrations (version, name, applied_at) VALUES (99, 'future', ${backend === 'postgres' ? 'now()' : "'2030-01-01T00:00:00.000Z'"})`);
      await expect(db.open()).rejects.toThrow('database schema version 99 is newer than this library supports (5)');
      await expect(dal.migrate()).rejects.toBeInstanceOf(ConfigurationError);
      await expect(dal.context.list(1, 0)).rejects.toBeInstanceOf(ConfigurationError);
      await db.cleanup();
      db = undefined;
    }
  });

  it('creates the tenant schema on migrate and keeps tenants apart', async () => {
    const a = testDb('postgres');
    const b = testDb('postgres');
    try {
      const dalA = await a.open();
      const dalB = await b.open();
      await dalA.migrate();
      await dalB.migrate();
      await dalA.pipelineExecution.create({ pipelineName: 'only-in-a' });
      expect(await dalB.pipelineExecution.getActiveExecutions()).toEqual([]);
      expect((await dalA.pipelineExecution.getActiveExecutions()).map((p) => p.pipelineName)).toEqual(['only-in-a']);
      expect(uniqueSchema()).not.toBe(a.schema);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});

describe('entity set', () => {
  it('declares exactly the columns and logical types of core schema tables', () => {
    const byTable = new Map(Object.values(ENTITY_DEFS).map((d) => [d.table, d]));
    expect([...byTable.keys()].sort()).toEqual(ALL_TABLES.map((t) => t.name).sort());
    for (const table of ALL_TABLES) {
      const def = byTable.get(table.name)!;
      const declared = Object.entries(def.columns).map(([prop, c]) => [columnName(prop), c.logical, c.nullable === true]);
      expect(declared).toEqual(table.columns.map((c) => [c.name, c.type, c.nullable === true]));
    }
  });
});
