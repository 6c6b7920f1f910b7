/**
 * Lifecycle and tenancy (02 §2.3, §2.6, 01 §9.2, §10, 02 §9 "Lifecycle", "Tenancy"):
 * poolStats shape and plausibility under load, close() semantics, and on PostgreSQL the
 * isolation of tenant schemas (rows, ledgers, signals) and a search_path without public.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, DatabaseError, type Dal, type Signal } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { dropSchema, postgresUrl, withPgClient } from '../support/databases.js';
import { idAt } from '../support/determinism.js';
import { countRows, expectError, rawRow, taskSpec, waitFor } from '../support/core-areas.js';

describe.each(selectedCombos())('$name lifecycle', (combo) => {
  const fixtures: DalFixture[] = [];
  afterEach(async () => {
    for (const f of fixtures.splice(0)) await f.close();
  });
  const fixture = async () => {
    const f = await openFixture(combo);
    fixtures.push(f);
    return f;
  };
  const size = combo.backend === 'postgres' ? 3 : 1; // the fixture's poolSize

  it('poolStats is exactly {total, idle, waiting, max} with plausible values at rest', async () => {
    const f = await fixture();
    await f.dal.context.create({ warm: true });
    const s = f.dal.poolStats();
    expect(Object.keys(s).sort()).toEqual(['idle', 'max', 'total', 'waiting']);
    for (const v of Object.values(s)) expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
    expect(s.max).toBe(size);
    expect(s.waiting).toBe(0);
    expect(s.total).toBeGreaterThanOrEqual(1);
    expect(s.total).toBeLessThanOrEqual(s.max);
    expect(s.idle).toBe(s.total);
  });

  it('under load every connection is busy and the other callers wait; afterwards all are idle again', async () => {
    const f = await fixture();
    const n = 8;
    let inside = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runs = Array.from({ length: n }, (_, i) =>
      f.dal.transaction(async (tx) => {
        await tx.context.create({ i });
        inside++;
        await gate;
      }),
    );
    try {
      await waitFor(() => inside === size, 5000, 'transactions holding every connection');
      await waitFor(() => f.dal.poolStats().waiting === n - size, 5000, `${n - size} waiting callers`);
      expect(f.dal.poolStats()).toEqual({ total: size, idle: 0, waiting: n - size, max: size });
      expect(inside).toBe(size);
    } finally {
      release();
      await Promise.all(runs);
    }
    const after = f.dal.poolStats();
    expect([after.waiting, after.idle, after.max]).toEqual([0, after.total, size]);
    expect(await countRows(await f.raw(), 'contexts')).toBe(n);
  });

  it('close() waits for in-flight calls, is idempotent, and every later call is ConfigurationError "DAL is closed"', async () => {
    const f = await fixture();
    const inflight = f.dal.context.create({ inflight: true });
    await Promise.all([f.dal.close(), f.dal.close()]);
    const id = await inflight;
    expect(await rawRow(await f.raw(), 'contexts', id!)).toBeDefined();
    await f.dal.close();
    const calls: [string, () => Promise<unknown>][] = [
      ['context.create', () => f.dal.context.create({ a: 1 })],
      ['context.read', () => f.dal.context.read(idAt(1))],
      ['pipelineExecution.listRecent', () => f.dal.pipelineExecution.listRecent(1)],
      ['taskExecution.claimReadyTasks', () => f.dal.taskExecution.claimReadyTasks('r', 1)],
      ['workflowRegistryStorage.storeBinary', () => f.dal.workflowRegistryStorage.storeBinary(new Uint8Array([1]))],
      ['transaction', () => f.dal.transaction(async () => 1)],
      ['migrate', () => f.dal.migrate()],
    ];
    for (const [label, call] of calls) await expectError(call, ConfigurationError, { message: 'DAL is closed' }, label);
    expect(await countRows(await f.raw(), 'contexts')).toBe(1);
  });
});

describe.each(selectedCombos().filter((c) => c.backend === 'postgres'))('$name tenancy', (combo) => {
  const fixtures: DalFixture[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    for (const f of fixtures.splice(0)) await f.close();
  });
  const fixture = async () => {
    const f = await openFixture(combo);
    fixtures.push(f);
    return f;
  };

  it('two schemas in one database keep their rows and ledgers apart', async () => {
    const a = await fixture();
    const b = await fixture();
    // Both id sequences start at 1: the same id names a different row in each schema.
    expect(await a.dal.context.create({ tenant: 'A' })).toBe(idAt(1));
    expect(await b.dal.context.create({ tenant: 'B' })).toBe(idAt(1));
    expect(await a.dal.context.read(idAt(1))).toEqual({ tenant: 'A' });
    expect(await b.dal.context.read(idAt(1))).toEqual({ tenant: 'B' });
    await a.dal.pipelineExecution.createWithTasks({ pipelineName: 'only-a', pipelineVersion: '1', inputContext: {}, tasks: [taskSpec('x')] });
    expect((await a.dal.pipelineExecution.listRecent(10)).map((p) => p.pipelineName)).toEqual(['only-a']);
    expect(await b.dal.pipelineExecution.listRecent(10)).toEqual([]);

    const ledger = (schema: string) =>
      withPgClient(null, async (c) => (await c.query(`SELECT version FROM "${schema}".cloacina_migrations ORDER BY version`)).rows.map((r) => r.version));
    expect(await ledger(a.db.schema!)).toEqual([1, 2, 3, 4, 5]);
    expect(await ledger(b.db.schema!)).toEqual([1, 2, 3, 4, 5]);
    // A newer version in A's ledger concerns A only.
    await withPgClient(null, (c) => c.query(`INSERT INTO "${a.db.schema}".cloacina_migrations VALUES (99, 'future', now())`));
    await expectError(() => a.open(), ConfigurationError, {}, 'open A');
    const b2 = await b.open();
    expect(await b2.migrate()).toEqual({ applied: [], current: 5 });
  });

  it('signals stay within their schema', async () => {
    const a = await fixture();
    const b = await fixture();
    b.ids.reset(1000); // distinct ids, so a misrouted signal is recognisable by id too
    const got: Record<'a' | 'b', Signal[]> = { a: [], b: [] };
    const offA = a.dal.signals.subscribe((s) => got.a.push(s));
    const offB = b.dal.signals.subscribe((s) => got.b.push(s));
    cleanups.push(async () => (offA(), offB()));
    const pa = (await a.dal.pipelineExecution.createWithTasks({ pipelineName: 'a', pipelineVersion: '1', inputContext: {}, tasks: [taskSpec('x')] })).pipeline.id;
    await waitFor(() => got.a.some((s) => s.pipelineExecutionId === pa), 1000, 'A signal');
    const pb = (await b.dal.pipelineExecution.createWithTasks({ pipelineName: 'b', pipelineVersion: '1', inputContext: {}, tasks: [taskSpec('x')] })).pipeline.id;
    await waitFor(() => got.b.some((s) => s.pipelineExecutionId === pb), 1000, 'B signal');
    // B's signal arrived after A's was published, so a misrouted A signal would already be here.
    expect(got.a).toEqual([{ type: 'pipeline_created', pipelineExecutionId: pa, taskExecutionId: null, schema: a.db.schema }]);
    expect(got.b).toEqual([{ type: 'pipeline_created', pipelineExecutionId: pb, taskExecutionId: null, schema: b.db.schema }]);
  });

  it('search_path excludes public: a table present only in public is never read', async () => {
    const database = `cloacina_sp_${randomBytes(4).toString('hex')}`;
    const schema = `tenant_${randomBytes(3).toString('hex')}`;
    await withPgClient(null, (c) => c.query(`CREATE DATABASE ${database}`));
    cleanups.push(() => withPgClient(null, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)));
    const url = postgresUrl().replace(/\/[^/?]*(\?|$)/, `/${database}$1`);
    const client = new pg.Client(url);
    await client.connect();
    cleanups.push(() => client.end());
    const secret = idAt(0x5ec);
    await client.query('CREATE TABLE public.workflow_registry (id uuid PRIMARY KEY, created_at timestamptz NOT NULL, data bytea NOT NULL)');
    await client.query(`INSERT INTO public.workflow_registry VALUES ($1, now(), '\\x0102')`, [secret]);
    const dal: Dal = await combo.create({ url, schema, poolSize: 1, listen: false });
    cleanups.push(() => dal.close());
    await dal.migrate();
    expect(await dal.workflowRegistryStorage.retrieveBinary(secret)).toBeNull(); // the tenant table shadows nothing
    await client.query(`DROP TABLE "${schema}".workflow_registry`);
    // With the tenant table gone, the lookup must fail rather than fall back to public's row.
    await expectError(() => dal.workflowRegistryStorage.retrieveBinary(secret), DatabaseError, { dbCode: '42P01' });
  });

  it('a schema name is used exactly as given (quoted, case-sensitive)', async () => {
    const schema = `Tenant_Mixed_${randomBytes(3).toString('hex')}`;
    cleanups.push(() => dropSchema(schema));
    const dal = await combo.create({ url: postgresUrl(), schema, poolSize: 1, listen: false });
    cleanups.push(() => dal.close());
    expect(dal.schema).toBe(schema);
    await dal.migrate();
    const id = (await dal.context.create({ mixed: true }))!;
    const rows = await withPgClient(null, async (c) => ({
      exact: (await c.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema])).rows[0].n,
      lower: (await c.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema.toLowerCase()])).rows[0].n,
      value: (await c.query(`SELECT value FROM "${schema}".contexts WHERE id = $1`, [id])).rows[0]?.value,
    }));
    expect(rows).toEqual({ exact: 1, lower: 0, value: { mixed: true } });
  });
});
