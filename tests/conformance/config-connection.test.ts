/**
 * Per-connection settings (01 §9, 02 §9 "Pragmas", 02 §2.2): SQLite pragmas and PostgreSQL
 * connection settings.
 *
 * How the pragmas are read: the DAL contract has no raw-query method, so nothing can be read
 * "through the DAL" directly. Instead:
 *  - journal_mode is persistent in the file, so a raw connection opened after the factory reads
 *    the mode the DAL set ('wal');
 *  - foreign_keys is observed through its effect on the DAL's own writer connection (a child
 *    row with a missing parent is refused with ConstraintError kind foreign_key);
 *  - busy_timeout is observed through its effect: while a raw connection holds the write lock,
 *    a DAL write waits (default 30 s) instead of failing at once, and with a small configured
 *    value it fails with SQLITE_BUSY (transient) once that value elapses;
 *  - synchronous is not observable from outside the connection that set it; it is not asserted
 *    here (a test hook exposing the connection's pragmas would be needed).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ConstraintError, DatabaseError, type Dal } from '@cloacina/core';
import { freshDatabase, selectedCombos, type TestDatabase } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { postgresUrl, withPgClient } from '../support/databases.js';
import { idAt } from '../support/determinism.js';
import type { RawDb } from '../support/raw-db.js';
import { countRows, expectError } from '../support/core-areas.js';

const combos = selectedCombos();

describe.each(combos.filter((c) => c.backend === 'sqlite'))('$name SQLite pragmas (01 §9.1)', (combo) => {
  let f: DalFixture | undefined;
  let db: TestDatabase | undefined;
  let dal: Dal | undefined;
  let raw: RawDb | undefined;
  afterEach(async () => {
    await raw?.query('ROLLBACK').catch(() => undefined);
    await raw?.close().catch(() => undefined);
    await dal?.close().catch(() => undefined);
    await db?.cleanup();
    await f?.close();
    f = db = dal = raw = undefined;
  });

  it('journal_mode is WAL on a file database as soon as the factory has opened it', async () => {
    db = freshDatabase('sqlite');
    dal = await combo.create({ url: db.url });
    raw = await db.raw();
    expect(await raw.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
  });

  it('foreign_keys is ON on the DAL connection: a child of a missing parent is refused', async () => {
    f = await openFixture(combo);
    await expectError(
      () => f!.dal.taskExecution.create({ pipelineExecutionId: idAt(999), taskName: 't::p::w::orphan' }),
      ConstraintError,
      { kind: 'foreign_key' },
    );
    expect(await countRows(await f.raw(), 'task_executions')).toBe(0);
  });

  it('busy_timeout (default 30 s): a write waits for another connection to release the write lock', async () => {
    f = await openFixture(combo);
    raw = await f.raw();
    await raw.query('BEGIN IMMEDIATE');
    let settled = false;
    const write = f.dal.context.create({ waited: true }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300)); // hold the lock for a while (not a timing assertion)
    expect(settled).toBe(false);
    await raw.query('ROLLBACK');
    const id = await write;
    expect(await f.dal.context.read(id!)).toEqual({ waited: true });
  });

  it('busy_timeout as configured: with sqlite.busyTimeoutMs = 100 a blocked write fails with transient SQLITE_BUSY', async () => {
    f = await openFixture(combo);
    const short = await f.open(combo, { sqlite: { busyTimeoutMs: 100 } });
    raw = await f.raw();
    await raw.query('BEGIN IMMEDIATE');
    await expectError(() => short.context.create({ blocked: true }), DatabaseError, { backend: 'sqlite', dbCode: 'SQLITE_BUSY', transient: true });
    await raw.query('ROLLBACK');
    expect(await countRows(raw, 'contexts')).toBe(0);
    // The DAL is still usable once the lock is gone.
    const id = await short.context.create({ after: true });
    expect(await short.context.read(id!)).toEqual({ after: true });
  });

  it('synchronous is accepted for every documented value', async () => {
    db = freshDatabase('sqlite');
    for (const synchronous of ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const) {
      const d = await combo.create({ url: db.url, sqlite: { synchronous } });
      await d.migrate();
      expect(await d.context.create({ synchronous })).not.toBeNull();
      await d.close();
    }
  });
});

describe.each(combos.filter((c) => c.backend === 'postgres'))('$name PostgreSQL connection settings (01 §9.2)', (combo) => {
  let f: DalFixture | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    await f?.close();
    f = undefined;
  });

  it("application_name is 'cloacina' plus the runner id", async () => {
    const runnerId = `cfg-${randomBytes(4).toString('hex')}`;
    f = await openFixture(combo, { runnerId });
    await f.dal.context.create({ a: 1 });
    const rows = await withPgClient(null, (c) =>
      c.query('SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND strpos(application_name, $1) > 0', [runnerId]),
    );
    // Decision: the exact joining of name and runner id is unspecified; it must start with 'cloacina' and contain the id.
    expect(rows.rows.length).toBeGreaterThan(0);
    for (const r of rows.rows) expect(String(r.application_name).startsWith('cloacina')).toBe(true);
  });

  it('the database name in the URL is honoured', async () => {
    const database = `cloacina_cfg_${randomBytes(4).toString('hex')}`;
    const schema = `tenant_${randomBytes(3).toString('hex')}`;
    await withPgClient(null, (c) => c.query(`CREATE DATABASE ${database}`));
    cleanups.push(() => withPgClient(null, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)));
    const url = postgresUrl().replace(/\/[^/?]*(\?|$)/, `/${database}$1`);
    const dal = await combo.create({ url, schema, poolSize: 1, listen: false });
    cleanups.push(() => dal.close());
    await dal.migrate();
    await dal.context.create({ where: database });
    await dal.close();
    const other = new pg.Client(url);
    await other.connect();
    try {
      expect((await other.query(`SELECT count(*)::int AS n FROM "${schema}".contexts`)).rows[0].n).toBe(1);
    } finally {
      await other.end();
    }
    const inTest = await withPgClient(null, (c) => c.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema]));
    expect(inTest.rows[0].n).toBe(0);
  });
});
