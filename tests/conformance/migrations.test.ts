/**
 * Migrations and the ledger (01 §8, 02 §2.1, §2.6, §9 "Migrations"): a fresh database gets
 * versions 1..5 with the names of 01 §8.1; migrate() on an up-to-date database applies and
 * changes nothing, whichever implementation runs it; concurrent migrate() calls from several
 * processes and implementations are safe; a newer ledger version is refused at construction and
 * a renamed ledger entry is refused by migrate().
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, type Dal } from '@cloacina/core';
import { combosFor, freshDatabase, selectedCombos, type BackendName, type DalCombo, type TestDatabase } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { TestClock } from '../support/determinism.js';
import { dumpDatabase } from '../support/dump.js';
import type { RawDb } from '../support/raw-db.js';
import { at, expectError, ph, T0 } from '../support/core-areas.js';

/** 01 §8.1, verbatim. */
const SPEC_MIGRATIONS = [
  { version: 1, name: 'create_contexts' },
  { version: 2, name: 'create_execution_tables' },
  { version: 3, name: 'create_execution_events' },
  { version: 4, name: 'create_cron_tables' },
  { version: 5, name: 'create_workflow_registry_tables' },
];

async function ledger(raw: RawDb): Promise<{ version: number; name: string; appliedAt: string }[]> {
  const rows = await raw.query('SELECT version, name, applied_at FROM cloacina_migrations ORDER BY version');
  return rows.map((r) => ({
    version: Number(r.version),
    name: String(r.name),
    appliedAt: r.applied_at instanceof Date ? r.applied_at.toISOString() : String(r.applied_at),
  }));
}

async function insertLedgerRow(raw: RawDb, version: number, name: string): Promise<void> {
  const appliedAt = raw.backend === 'sqlite' ? T0.toISOString() : T0;
  await raw.query(`INSERT INTO cloacina_migrations (version, name, applied_at) VALUES (${ph(raw, 1)}, ${ph(raw, 2)}, ${ph(raw, 3)})`, [
    version,
    name,
    appliedAt,
  ]);
}

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    await f?.close();
    f = undefined;
  });

  it('a fresh database gets versions 1..5 with the spec names, applied_at from the client clock', async () => {
    const db = freshDatabase(combo.backend);
    cleanups.push(() => db.cleanup());
    const clock = new TestClock();
    const dal = await combo.create({ url: db.url, schema: db.schema, poolSize: 2, clock: clock.now, runnerId: 'test-runner' });
    cleanups.push(() => dal.close());
    expect(await dal.migrate()).toEqual({ applied: SPEC_MIGRATIONS, current: 5 });
    const raw = await db.raw();
    cleanups.push(() => raw.close());
    expect(await ledger(raw)).toEqual(SPEC_MIGRATIONS.map((m) => ({ ...m, appliedAt: T0.toISOString() })));
    if (raw.backend === 'sqlite') {
      // The ledger's applied_at uses the fixed 24-character text form like every other timestamp.
      const rows = await raw.query('SELECT applied_at FROM cloacina_migrations');
      for (const r of rows) expect(r.applied_at).toBe('2025-01-01T00:00:00.000Z');
    }
  });

  it('a second migrate() applies nothing and changes nothing', async () => {
    f = await openFixture(combo);
    const raw = await f.raw();
    const before = { dump: await dumpDatabase(raw), ledger: await ledger(raw) };
    f.clock.set(at(60_000)); // a rewrite of the ledger would show a new applied_at
    expect(await f.dal.migrate()).toEqual({ applied: [], current: 5 });
    expect({ dump: await dumpDatabase(raw), ledger: await ledger(raw) }).toEqual(before);
  });

  it('every implementation of the backend finds a database migrated by this one up to date', async () => {
    f = await openFixture(combo);
    const raw = await f.raw();
    await f.dal.context.create({ kept: true });
    const before = { dump: await dumpDatabase(raw), ledger: await ledger(raw) };
    f.clock.set(at(60_000));
    for (const other of combosFor(combo.backend)) {
      const dal = await f.open(other);
      expect(await dal.migrate(), other.name).toEqual({ applied: [], current: 5 });
    }
    expect({ dump: await dumpDatabase(raw), ledger: await ledger(raw) }).toEqual(before);
  });

  it('a ledger holding an unknown higher version is refused at construction', async () => {
    f = await openFixture(combo);
    const raw = await f.raw();
    await insertLedgerRow(raw, 99, 'from_the_future');
    const message = 'database schema version 99 is newer than this library supports (5)';
    for (const c of combosFor(combo.backend)) {
      await expectError(() => f!.open(c), ConfigurationError, { message }, `${c.name} factory`);
    }
    // A DAL opened before the row appeared refuses in migrate(), before step 1 (01 §8.3).
    const before = await ledger(raw);
    await expectError(() => f!.dal.migrate(), ConfigurationError, { message }, 'migrate()');
    expect(await ledger(raw)).toEqual(before);
  });

  it('after migrate() found a newer schema version, the DAL refuses every other method', async () => {
    f = await openFixture(combo);
    const raw = await f.raw();
    await insertLedgerRow(raw, 6, 'next_feature');
    const message = 'database schema version 6 is newer than this library supports (5)';
    await expectError(() => f!.dal.migrate(), ConfigurationError, { message }, 'migrate()');
    // Decision (01 §8.3 "the DAL refuses to run any other method against that database"): refusal is a ConfigurationError.
    const before = await dumpDatabase(raw);
    await expectError(() => f!.dal.context.create({ a: 1 }), ConfigurationError, {}, 'context.create');
    await expectError(() => f!.dal.pipelineExecution.listRecent(10), ConfigurationError, {}, 'listRecent');
    expect(await dumpDatabase(raw)).toEqual(before);
  });

  it('a renamed ledger entry makes migrate() fail with ConfigurationError and change nothing', async () => {
    f = await openFixture(combo);
    const raw = await f.raw();
    await raw.query(`UPDATE cloacina_migrations SET name = ${ph(raw, 1)} WHERE version = 3`, ['renamed_events']);
    const before = { dump: await dumpDatabase(raw), ledger: await ledger(raw) };
    await expectError(
      () => f!.dal.migrate(),
      ConfigurationError,
      { message: "migration 3 is 'renamed_events' in the database but 'create_execution_events' in this library" },
      'migrate()',
    );
    expect({ dump: await dumpDatabase(raw), ledger: await ledger(raw) }).toEqual(before);
  });
});

// ------------------------------------------------------------------ concurrency across processes

const WORKER = fileURLToPath(new URL('./workers/migrate-worker.mjs', import.meta.url));
const TESTS_DIR = fileURLToPath(new URL('..', import.meta.url));

interface WorkerResult {
  event: 'done' | 'error';
  report?: { applied: { version: number; name: string }[]; current: number };
  name?: string;
  code?: string;
  message?: string;
}

/** Starts one worker per combo, releases them together once all are ready, returns their results. */
async function migrateConcurrently(combos: DalCombo[], db: TestDatabase): Promise<WorkerResult[]> {
  const procs = combos.map((c) => {
    const params = { packageName: c.packageName, factoryName: c.factoryName, url: db.url, schema: db.schema ?? null };
    const child = spawn(process.execPath, [WORKER, JSON.stringify(params)], { cwd: TESTS_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: Record<string, unknown>[] = [];
    let stderr = '';
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        buf = buf.slice(nl + 1);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, lines, exited, stderr: () => stderr, name: c.name };
  });
  try {
    const deadline = Date.now() + 30_000;
    while (!procs.every((p) => p.lines.some((l) => l.event === 'ready'))) {
      const failed = procs.find((p) => p.lines.some((l) => l.event === 'error') || p.child.exitCode !== null);
      if (failed) throw new Error(`${failed.name} worker failed before the start: ${JSON.stringify(failed.lines)} ${failed.stderr()}`);
      if (Date.now() > deadline) throw new Error('workers did not become ready');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const p of procs) p.child.stdin.end('go\n');
    await Promise.all(procs.map((p) => p.exited));
    return procs.map((p) => {
      const last = p.lines.find((l) => l.event === 'done' || l.event === 'error');
      if (!last) throw new Error(`${p.name} worker printed no result: ${p.stderr()}`);
      return { ...(last as unknown as WorkerResult), name: (last.name as string | undefined) ?? p.name };
    });
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill();
  }
}

const backends = [...new Set(selectedCombos().map((c) => c.backend))] as BackendName[];

describe.each(backends)('concurrent migrate() on one fresh %s database', (backend) => {
  let db: TestDatabase | undefined;
  let raw: RawDb | undefined;
  let dal: Dal | undefined;
  afterEach(async () => {
    await dal?.close().catch(() => undefined);
    await raw?.close().catch(() => undefined);
    await db?.cleanup();
  });

  it('4 processes, mixing every implementation of the backend, all succeed and each version is applied once', async () => {
    db = freshDatabase(backend);
    const impls = combosFor(backend);
    const combos = [0, 1, 2, 3].map((i) => impls[i % impls.length]!);
    const results = await migrateConcurrently(combos, db);
    for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ event: 'done', report: { current: 5 } });
    // Each version was applied by exactly one process; the others found it recorded.
    const applied = results.flatMap((r) => r.report!.applied).sort((a, b) => a.version - b.version);
    expect(applied).toEqual(SPEC_MIGRATIONS);
    raw = await db.raw();
    expect((await ledger(raw)).map(({ version, name }) => ({ version, name }))).toEqual(SPEC_MIGRATIONS);
    // The result is a usable, up-to-date database for every implementation.
    dal = await impls[0]!.create({ url: db.url, schema: db.schema, poolSize: 1 });
    expect(await dal.migrate()).toEqual({ applied: [], current: 5 });
  });
});
