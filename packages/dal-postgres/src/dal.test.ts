import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClaimLostError,
  ConfigurationError,
  ConstraintError,
  DatabaseError,
  MIGRATIONS,
  NotFoundError,
  PackageExistsError,
  ValidationError,
  type Dal,
  type DalOptions,
} from '@cloacina/core';
import { createPostgresDal } from './index.js';
import { PgPool } from './pool.js';
import { Exec } from './executor.js';

const URL = process.env.CLOACINA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = new Date('2025-01-02T03:04:05.678Z');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function uniqueSchema(): string {
  return `dp_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

async function raw<T = Record<string, unknown>>(schema: string | null, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client(URL);
  await c.connect();
  try {
    if (schema) await c.query(`SET search_path TO "${schema}"`);
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

function sequentialIds(): () => string {
  let n = 0;
  return () => `01900000-0000-7000-8000-${(++n).toString(16).padStart(12, '0')}`;
}

/** A migrated DAL on a fresh schema with a pinned clock and deterministic ids. */
async function freshDal(extra: Partial<DalOptions> = {}): Promise<{ dal: Dal; schema: string }> {
  const schema = uniqueSchema();
  cleanups.push(() => raw(null, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`).then(() => undefined));
  const dal = await createPostgresDal({
    url: URL,
    schema,
    poolSize: 3,
    listen: false,
    clock: () => T0,
    idGenerator: sequentialIds(),
    runnerId: 'dal-runner',
    ...extra,
  });
  cleanups.push(() => dal.close());
  await dal.migrate();
  return { dal, schema };
}

const spec = (taskName: string) => ({ taskName, maxAttempts: 2, triggerRules: { type: 'Always' }, taskConfiguration: {} });

async function countAll(schema: string): Promise<number> {
  const tables = ['contexts', 'pipeline_executions', 'task_executions', 'task_execution_metadata', 'execution_events', 'cron_schedules'];
  let n = 0;
  for (const t of tables) n += Number((await raw<{ n: string }>(schema, `SELECT count(*) AS n FROM ${t}`))[0]!.n);
  return n;
}

describe('construction and migrations', () => {
  it('migrates to 1..5 once, and a second run applies nothing', async () => {
    const { dal, schema } = await freshDal();
    const ledger = await raw<{ version: number; name: string }>(schema, 'SELECT version, name FROM cloacina_migrations ORDER BY version');
    expect(ledger).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(await dal.migrate()).toEqual({ applied: [], current: 5 });
    expect(dal.implementation).toBe('dal-postgres');
    expect(dal.backend).toBe('postgres');
    expect(dal.schema).toBe(schema);
  });

  it('reports what it applied on a fresh schema', async () => {
    const schema = uniqueSchema();
    cleanups.push(() => raw(null, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`).then(() => undefined));
    const dal = await createPostgresDal({ url: URL, schema, poolSize: 2, listen: false });
    cleanups.push(() => dal.close());
    const report = await dal.migrate();
    expect(report.applied.map((a) => a.version)).toEqual([1, 2, 3, 4, 5]);
    expect(report.current).toBe(5);
  });

  it('refuses a database whose ledger is newer than the library', async () => {
    const { dal, schema } = await freshDal();
    await dal.close();
    await raw(schema, "INSERT INTO cloacina_migrations VALUES (99, 'future', now())");
    await expect(createPostgresDal({ url: URL, schema, listen: false })).rejects.toThrow(/newer than this library supports \(5\)/);
  });

  it('validates options before connecting', async () => {
    await expect(createPostgresDal({ url: 'sqlite::memory:' })).rejects.toThrow('dal-postgres cannot open a SQLite URL');
    await expect(createPostgresDal({ url: URL, schema: 'a;drop schema public' })).rejects.toBeInstanceOf(ValidationError);
    await expect(createPostgresDal({ url: URL, schema: 'public' })).rejects.toMatchObject({ reason: 'ReservedName' });
    const err = await createPostgresDal({ url: 'postgres://bob:s3cretpw@127.0.0.1:1/test', acquireTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(String((err as Error).message)).not.toContain('s3cretpw');
  });

  it('names its connections after the runner and keeps public out of the search path', async () => {
    const { dal, schema } = await freshDal();
    await dal.context.create({ a: 1 });
    const apps = await raw<{ application_name: string }>(null, "SELECT application_name FROM pg_stat_activity WHERE application_name = 'cloacina:dal-runner'");
    expect(apps.length).toBeGreaterThan(0);
    expect(schema).toMatch(/^dp_/);
    // Each pooled connection gets the quoted tenant schema only: no public fallback.
    const pool = new PgPool({ url: URL, schema: 'Mixed_Case', max: 1, acquireTimeoutMs: 2000, applicationName: 'cloacina', secrets: [] });
    try {
      const client = await pool.acquire();
      expect((await client.query('SHOW search_path')).rows[0].search_path).toBe('"Mixed_Case"');
      pool.release(client);
    } finally {
      await pool.end();
    }
  });

  it('closes idempotently and refuses calls afterwards', async () => {
    const { dal } = await freshDal();
    const stats = dal.poolStats();
    expect(stats.max).toBe(3);
    expect(stats.total).toBeGreaterThanOrEqual(1);
    await dal.close();
    await dal.close();
    await expect(dal.context.create({ a: 1 })).rejects.toThrow('DAL is closed');
  });

  it('times out waiting for a connection with POOL_TIMEOUT', async () => {
    const { dal } = await freshDal({ poolSize: 1, acquireTimeoutMs: 300 });
    let release!: () => void;
    const held = dal.transaction(() => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 50));
    await expect(dal.context.create({ a: 1 })).rejects.toMatchObject({ dbCode: 'POOL_TIMEOUT' });
    release();
    await held;
  });

  it('reads timestamps independently of the session TimeZone', async () => {
    const { schema } = await freshDal();
    const dal = await createPostgresDal({ url: `${URL}?options=-c%20TimeZone%3DAsia%2FTokyo`, schema, listen: false, poolSize: 1 });
    cleanups.push(() => dal.close());
    const at = new Date('2024-02-29T23:59:59.999Z');
    const sched = await dal.cronSchedule.create({ workflowName: 'w', cronExpression: '* * * * *', nextRunAt: at });
    expect(sched.nextRunAt.getTime()).toBe(at.getTime());
    expect((await dal.cronSchedule.getDueSchedules(at)).map((s) => s.id)).toEqual([sched.id]);
  });
});

describe('a run through the hot path', () => {
  it('creates, readies, claims, completes and finalizes with the right events', async () => {
    const { dal } = await freshDal();
    const created = await dal.pipelineExecution.createWithTasks({
      pipelineName: 'etl',
      pipelineVersion: 'v1',
      inputContext: { seed: 1 },
      tasks: [spec('t::p::w::a'), spec('t::p::w::b')],
    });
    expect(created.contextId).not.toBeNull();
    expect(created.pipeline).toMatchObject({ status: 'Pending', startedAt: T0, contextId: created.contextId, recoveryAttempts: 0 });
    expect(created.tasks.map((t) => t.taskName)).toEqual(['t::p::w::a', 't::p::w::b']);
    const [a, b] = created.tasks.map((t) => t.id) as [string, string];

    expect(await dal.taskExecution.markReadiness([{ id: a, outcome: 'Ready' }, { id: b, outcome: 'Ready' }])).toEqual({ ready: [a, b], skipped: [] });
    const claims = await dal.taskExecution.claimReadyTasks('runner-1', 10);
    expect(claims.map((c) => c.id)).toEqual([a, b]);
    expect((await dal.pipelineExecution.getById(created.pipeline.id)).status).toBe('Running');
    expect(await dal.taskExecution.claimReadyTasks('runner-2', 10)).toEqual([]);

    expect(await dal.taskExecution.buildInputContext(created.pipeline.id, [])).toEqual({ seed: 1 });
    const out = await dal.taskExecution.completeWithOutput(a, 'runner-1', { x: [1] });
    await dal.taskExecution.completeWithOutput(b, 'runner-1', {});
    expect(await dal.taskExecution.buildInputContext(created.pipeline.id, ['t::p::w::a', 't::p::w::b'])).toEqual({ x: [1] });

    const fin = await dal.pipelineExecution.finalize(created.pipeline.id, { done: true });
    expect(fin).toMatchObject({ outcome: 'finalized', status: 'Completed', errorDetails: null });
    expect(await dal.pipelineExecution.finalize(created.pipeline.id, {})).toEqual({ outcome: 'already_terminal', status: 'Completed' });

    const events = await dal.executionEvent.getByPipeline(created.pipeline.id);
    expect(events.map((e) => [e.eventType, e.taskExecutionId])).toEqual([
      ['pipeline_created', null],
      ['task_ready', a],
      ['task_ready', b],
      ['task_claimed', a],
      ['task_claimed', b],
      ['pipeline_started', null],
      ['task_completed', a],
      ['task_completed', b],
      ['pipeline_completed', null],
    ]);
    expect(events[0]!.eventData).toEqual({ pipeline_name: 'etl', pipeline_version: 'v1', task_count: 2 });
    expect(events[6]).toMatchObject({ eventData: { attempt: 1, context_id: out.contextId }, runnerId: 'runner-1', createdAt: T0 });
    expect(events[8]!.eventData).toEqual({ completed: 2, failed: 0, skipped: 0, context_id: fin.outcome === 'finalized' ? fin.contextId : null });
    expect(events[1]!.runnerId).toBe('dal-runner');
    const meta = await dal.taskExecutionMetadata.getDependencyMetadata(created.pipeline.id, ['t::p::w::b', 't::p::w::a']);
    expect(meta.map((m) => [m.taskExecutionId, m.contextId])).toEqual([
      [b, null],
      [a, out.contextId],
    ]);
  });

  it('fences executor writes: a lost claim throws and changes nothing', async () => {
    const { dal, schema } = await freshDal();
    const { tasks } = await dal.pipelineExecution.createWithTasks({ pipelineName: 'p', pipelineVersion: '1', inputContext: {}, tasks: [spec('a')] });
    const id = tasks[0]!.id;
    await dal.taskExecution.markReady(id);
    await dal.taskExecution.claimReadyTasks('owner', 1);
    const before = await raw(schema, 'SELECT * FROM task_executions WHERE id = $1', [id]);
    const err = await dal.taskExecution.markCompleted(id, 'intruder').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClaimLostError);
    expect(err).toMatchObject({ taskExecutionId: id, currentOwner: 'owner', currentStatus: 'Running' });
    await expect(dal.taskExecution.completeWithOutput(id, 'intruder', { a: 1 })).rejects.toBeInstanceOf(ClaimLostError);
    await expect(dal.taskExecution.heartbeat(id, 'intruder')).rejects.toBeInstanceOf(ClaimLostError);
    expect(await raw(schema, 'SELECT * FROM task_executions WHERE id = $1', [id])).toEqual(before);
    expect(await raw(schema, 'SELECT count(*)::int AS n FROM contexts')).toEqual([{ n: 0 }]);
    const missing = '01900000-0000-7000-8000-ffffffffffff';
    await expect(dal.taskExecution.markCompleted(missing, 'owner')).rejects.toMatchObject({ entity: 'TaskExecution', id: missing });
    expect(await dal.taskExecution.markReady(id)).toBe(false);
  });

  it('cancels a run: skips open tasks, revokes running ones', async () => {
    const { dal } = await freshDal();
    const { pipeline, tasks } = await dal.pipelineExecution.createWithTasks({
      pipelineName: 'p',
      pipelineVersion: '1',
      inputContext: {},
      tasks: [spec('a'), spec('b')],
    });
    await dal.taskExecution.markReady(tasks[0]!.id);
    await dal.taskExecution.claimReadyTasks('r', 1);
    expect(await dal.pipelineExecution.cancel(pipeline.id)).toBe(true);
    expect(await dal.pipelineExecution.cancel(pipeline.id)).toBe(false);
    const after = await dal.taskExecution.getAllTasksForPipeline(pipeline.id);
    expect(after.map((t) => [t.status, t.errorDetails, t.claimedBy])).toEqual([
      ['Failed', 'CANCELLED: Pipeline cancelled', null],
      ['Skipped', 'Pipeline cancelled', null],
    ]);
    const last = (await dal.executionEvent.getByPipeline(pipeline.id)).at(-1)!;
    expect(last).toMatchObject({ eventType: 'pipeline_cancelled', eventData: { skipped_tasks: 1, revoked_tasks: 1 } });
    await expect(dal.taskExecution.markCompleted(tasks[0]!.id, 'r')).rejects.toBeInstanceOf(ClaimLostError);
  });
});

describe('transactions', () => {
  it('commits, rolls back, and nests with savepoints', async () => {
    const { dal } = await freshDal({ idGenerator: undefined });
    const kept = await dal.transaction(async (tx) => tx.context.create({ a: 1 }));
    await expect(
      dal.transaction(async (tx) => {
        await tx.context.create({ b: 2 });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const inner = await dal.transaction(async (tx) => {
      const outer = await tx.context.create({ c: 3 });
      await tx.transaction(async (tx2) => {
        await tx2.context.create({ d: 4 });
        throw new Error('inner');
      }).catch(() => undefined);
      const nested = await tx.transaction(async (tx2) => tx2.context.create({ e: 5 }));
      return [outer, nested];
    });
    const values = (await dal.context.list(10, 0)).map((c) => c.value);
    expect(values).toHaveLength(3);
    expect(values).toEqual(expect.arrayContaining([{ a: 1 }, { c: 3 }, { e: 5 }]));
    expect(kept).not.toBeNull();
    expect(inner).toHaveLength(2);
  });

  it('aborts after a database error even if caught, and rolls back', async () => {
    const { dal, schema } = await freshDal({ idGenerator: undefined });
    const ctx = await dal.context.create({ keep: true });
    await dal.pipelineExecution.create({ pipelineName: 'p', contextId: ctx });
    const err = await dal
      .transaction(async (tx) => {
        await tx.context.create({ lost: true });
        const fk = await tx.context.delete(ctx!).catch((e: unknown) => e);
        expect(fk).toBeInstanceOf(ConstraintError);
        expect(fk).toMatchObject({ kind: 'foreign_key', constraint: 'pipeline_executions_context_fk' });
        await expect(tx.context.create({ after: true })).rejects.toMatchObject({ dbCode: 'TX_ABORTED' });
        return 'resolved anyway';
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ dbCode: 'TX_ABORTED' });
    expect(await raw(schema, 'SELECT value FROM contexts')).toEqual([{ value: { keep: true } }]);
  });

  it('keeps the transaction usable after typed errors', async () => {
    const { dal } = await freshDal({ idGenerator: undefined });
    const manifest = { name: 'pkg', version: '1.0.0' } as never;
    const registry = await dal.workflowRegistryStorage.storeBinary(new Uint8Array([1, 2]));
    await dal.transaction(async (tx) => {
      await tx.workflowPackages.storePackageMetadata(registry, manifest);
      await expect(tx.workflowPackages.storePackageMetadata(registry, manifest)).rejects.toBeInstanceOf(PackageExistsError);
      await expect(tx.context.read('01900000-0000-7000-8000-00000000abcd')).rejects.toBeInstanceOf(NotFoundError);
      await tx.context.create({ after: 1 });
    });
    expect((await dal.workflowPackages.listAllPackages()).map((p) => p.packageName)).toEqual(['pkg']);
    expect(await dal.context.list(10, 0)).toHaveLength(1);
  });

  it('rolls a failed savepoint back without aborting the outer transaction', async () => {
    const { dal, schema } = await freshDal({ idGenerator: undefined });
    const ctx = await dal.context.create({ keep: true });
    await dal.pipelineExecution.create({ pipelineName: 'p', contextId: ctx });
    await dal.transaction(async (tx) => {
      await expect(tx.transaction((tx2) => tx2.context.delete(ctx!))).rejects.toMatchObject({ kind: 'foreign_key' });
      const swallowed = await tx
        .transaction(async (tx2) => {
          await tx2.context.create({ lost: true });
          await tx2.context.delete(ctx!).catch(() => false);
          return 'resolved';
        })
        .catch((e: unknown) => e);
      expect(swallowed).toMatchObject({ dbCode: 'TX_ABORTED', cause: { kind: 'foreign_key' } });
      await tx.context.create({ outer: true });
    });
    const values = (await raw<{ value: unknown }>(schema, 'SELECT value FROM contexts')).map((r) => r.value);
    expect(values).toEqual(expect.arrayContaining([{ keep: true }, { outer: true }]));
    expect(values).toHaveLength(2);
  });

  it('serializes concurrent calls on one transaction', async () => {
    const { dal } = await freshDal({ idGenerator: undefined });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const ids = await dal.transaction(async (tx) => Promise.all(Array.from({ length: 20 }, (_, i) => tx.context.create({ i }))));
      expect(new Set(ids).size).toBe(20);
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.includes('already executing a query'))).toEqual([]);
    expect(await dal.context.list(100, 0)).toHaveLength(20);
  });

  it('close() waits for in-flight work', async () => {
    const { dal } = await freshDal({ idGenerator: undefined });
    let committed = false;
    const work = dal.transaction(async (tx) => {
      await new Promise((r) => setTimeout(r, 100));
      await tx.context.create({ late: true });
      committed = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    await dal.close();
    expect(committed).toBe(true);
    await work;
  });

  it('refuses the root DAL inside its own callback and a finished tx', async () => {
    const { dal } = await freshDal({ idGenerator: undefined });
    let leaked: Dal | null = null;
    await dal.transaction(async (tx) => {
      leaked = tx;
      await expect(dal.context.create({ a: 1 })).rejects.toThrow('use the transaction-bound DAL inside transaction()');
      await expect(dal.context.create({ a: 1 })).rejects.toBeInstanceOf(ConfigurationError);
    });
    await expect(leaked!.context.create({ a: 1 })).rejects.toThrow('transaction already finished');
  });
});

describe('bad input writes nothing', () => {
  it('rejects malformed ids, unknown statuses and cron policies', async () => {
    const { dal, schema } = await freshDal();
    await expect(dal.taskExecution.getById('not-a-uuid')).rejects.toBeInstanceOf(ValidationError);
    await expect(dal.pipelineExecution.create({ pipelineName: 'p', status: 'Done' as never })).rejects.toBeInstanceOf(ValidationError);
    await expect(dal.pipelineExecution.updateStatus('01900000-0000-7000-8000-000000000001', 'Nope' as never)).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      dal.cronSchedule.create({ workflowName: 'w', cronExpression: '* * * * *', nextRunAt: T0, catchupPolicy: 'sometimes' as never }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      dal.pipelineExecution.createWithTasks({ pipelineName: 'p', pipelineVersion: '1', inputContext: { a: 1 }, tasks: [spec('x'), spec('x')] }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(dal.context.create({ bad: 'nul\u0000' })).rejects.toBeInstanceOf(ValidationError);
    await expect(dal.context.list(-1, 0)).rejects.toBeInstanceOf(ValidationError);
    await expect(dal.taskExecution.markReadiness([{ id: 'zzz', outcome: 'Ready' }])).rejects.toBeInstanceOf(ValidationError);
    expect(await countAll(schema)).toBe(0);
  });

  it('rolls back a run whose later insert fails', async () => {
    const ids = sequentialIds();
    let n = 0;
    // The third id (second task) repeats the first task's id, which the primary key rejects.
    const { dal, schema } = await freshDal({
      idGenerator: () => {
        n++;
        return n === 4 ? '01900000-0000-7000-8000-000000000003' : ids();
      },
    });
    await expect(
      dal.pipelineExecution.createWithTasks({ pipelineName: 'p', pipelineVersion: '1', inputContext: { a: 1 }, tasks: [spec('x'), spec('y')] }),
    ).rejects.toMatchObject({ kind: 'unique' });
    expect(await countAll(schema)).toBe(0);
  });
});

describe('self-owned transactions', () => {
  it('are retried up to 3 times on serialization failures and deadlocks, joined ones never', async () => {
    const pool = new PgPool({ url: URL, schema: null, max: 1, acquireTimeoutMs: 2000, applicationName: 'cloacina', secrets: [] });
    const rt = { pool, schema: null, signalKey: 'test', runnerId: null, clock: () => T0, idGenerator: sequentialIds(), secrets: [] };
    const fail = (code: string) => `DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '${code}'; END $$`;
    try {
      const root = new Exec(rt);
      let attempts = 0;
      expect(
        await root.tx(async (c) => {
          attempts++;
          if (attempts < 4) await c.query(fail(attempts % 2 ? '40001' : '40P01'));
          return 'ok';
        }),
      ).toBe('ok');
      expect(attempts).toBe(4);
      attempts = 0;
      const err = await root.tx(async (c) => {
        attempts++;
        await c.query(fail('40001'));
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ dbCode: '40001', transient: true });
      expect(attempts).toBe(4);
      attempts = 0;
      await root
        .tx(async (c) =>
          c.tx(async (joined) => {
            attempts++;
            await joined.query(fail('40P01'));
          }),
        )
        .catch(() => undefined);
      expect(attempts).toBe(4); // the outer (self-owned) transaction retried; the joined call did not add retries
      attempts = 0;
      await root.userTransaction(async (c) => {
        attempts++;
        await c.query(fail('40001'));
      }, {}).catch(() => undefined);
      expect(attempts).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
