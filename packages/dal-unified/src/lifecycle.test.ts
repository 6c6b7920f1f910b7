import { afterEach, describe, expect, it } from 'vitest';
import {
  ClaimLostError,
  ConfigurationError,
  MIGRATIONS,
  NotFoundError,
  ValidationError,
  type Dal,
  type Signal,
} from '@cloacina/core';
import { BACKENDS, pinnedClock, sequentialIds, spec, testDb, type TestDb } from './testing/support.js';

describe.each(BACKENDS)('dal-unified on %s', (backend) => {
  let db: TestDb;
  afterEach(async () => {
    await db?.cleanup();
  });

  async function migrated(extra = {}): Promise<Dal> {
    db = testDb(backend);
    const dal = await db.open(extra);
    await dal.migrate();
    return dal;
  }

  it('migrates to ledger 1..5 and a second migrate applies nothing', async () => {
    db = testDb(backend);
    const dal = await db.open();
    expect(dal.implementation).toBe('dal-unified');
    expect(dal.backend).toBe(backend);
    const first = await dal.migrate();
    expect(first.applied).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(first.current).toBe(5);
    const ledger = await db.raw('SELECT version, name FROM cloacina_migrations ORDER BY version');
    expect(ledger.map((r) => [Number(r.version), r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    expect(await dal.migrate()).toEqual({ applied: [], current: 5 });
    // Concurrent migrate() calls from two instances are safe.
    const other = await db.open();
    const reports = await Promise.all([dal.migrate(), other.migrate()]);
    expect(reports.every((r) => r.applied.length === 0)).toBe(true);
    expect((await db.raw('SELECT count(*) AS n FROM cloacina_migrations'))[0]!.n).toEqual(backend === 'postgres' ? '5' : 5);
  });

  it('runs createWithTasks → markReadiness → claimReadyTasks → completeWithOutput → finalize', async () => {
    const clock = pinnedClock();
    const dal = await migrated({ clock: clock.clock, idGenerator: sequentialIds(), runnerId: 'sched' });
    const signals: Signal[] = [];
    const unsubscribe = dal.signals.subscribe((s) => signals.push(s));

    const run = await dal.pipelineExecution.createWithTasks({
      pipelineName: 'wf',
      pipelineVersion: 'abc',
      inputContext: { seed: 1 },
      tasks: [spec('t::p::wf::a'), spec('t::p::wf::b', { dependencies: ['t::p::wf::a'] })],
    });
    const [a, b] = run.tasks;
    expect(run.contextId).toBe('0190aaaa-0000-7000-8000-000000000001');
    expect(run.pipeline.id).toBe('0190aaaa-0000-7000-8000-000000000002');
    expect([a!.id, b!.id]).toEqual(['0190aaaa-0000-7000-8000-000000000003', '0190aaaa-0000-7000-8000-000000000004']);
    expect(await dal.pipelineExecution.getById(run.pipeline.id)).toEqual(run.pipeline);
    expect(await dal.taskExecution.getById(a!.id)).toEqual(a);

    clock.advance(10);
    expect(await dal.taskExecution.markReadiness([{ id: a!.id, outcome: 'Ready' }])).toEqual({ ready: [a!.id], skipped: [] });
    const claimed = await dal.taskExecution.claimReadyTasks('runner-1', 10);
    expect(claimed).toEqual([{ id: a!.id, pipelineExecutionId: run.pipeline.id, taskName: 't::p::wf::a', attempt: 1, maxAttempts: 3, taskConfiguration: {} }]);
    expect((await dal.pipelineExecution.getById(run.pipeline.id)).status).toBe('Running');
    expect(await dal.taskExecution.claimReadyTasks('runner-2', 10)).toEqual([]);

    const { contextId } = await dal.taskExecution.completeWithOutput(a!.id, 'runner-1', { out: [1, 2] });
    expect(await dal.context.read(contextId!)).toEqual({ out: [1, 2] });
    expect(await dal.taskExecution.buildInputContext(run.pipeline.id, ['t::p::wf::a'])).toEqual({ out: [1, 2] });
    expect(await dal.pipelineExecution.finalize(run.pipeline.id, {})).toEqual({ outcome: 'not_finished', remaining: 1 });
    expect((await dal.taskExecution.markReadiness([{ id: b!.id, outcome: 'Skipped', reason: 'upstream' }])).skipped).toEqual([b!.id]);

    const fin = await dal.pipelineExecution.finalize(run.pipeline.id, { done: true });
    expect(fin).toMatchObject({ outcome: 'finalized', status: 'Completed', errorDetails: null });
    expect(await dal.pipelineExecution.finalize(run.pipeline.id, {})).toEqual({ outcome: 'already_terminal', status: 'Completed' });

    const events = await dal.executionEvent.getByPipeline(run.pipeline.id);
    expect(events.map((e) => [e.eventType, e.taskExecutionId, e.runnerId])).toEqual([
      ['pipeline_created', null, 'sched'],
      ['task_ready', a!.id, 'sched'],
      ['task_claimed', a!.id, 'sched'],
      ['pipeline_started', null, 'sched'],
      ['task_completed', a!.id, 'runner-1'],
      ['task_skipped', b!.id, 'sched'],
      ['pipeline_completed', null, 'sched'],
    ]);
    expect(events[4]!.eventData).toEqual({ attempt: 1, context_id: contextId });
    expect(events[6]!.eventData).toEqual({ completed: 1, failed: 0, skipped: 1, context_id: fin.outcome === 'finalized' ? fin.contextId : null });
    expect(signals.map((s) => s.type)).toEqual(events.map((e) => e.eventType));
    unsubscribe();
  });

  it('fences executor writes: ClaimLostError leaves the row unchanged', async () => {
    const dal = await migrated();
    const run = await dal.pipelineExecution.createWithTasks({ pipelineName: 'wf', pipelineVersion: '1', inputContext: {}, tasks: [spec('x')] });
    const id = run.tasks[0]!.id;
    await dal.taskExecution.markReady(id);
    await dal.taskExecution.claimReadyTasks('owner', 1);
    const before = await dal.taskExecution.getById(id);

    for (const attempt of [
      () => dal.taskExecution.markCompleted(id, 'intruder'),
      () => dal.taskExecution.completeWithOutput(id, 'intruder', { a: 1 }),
      () => dal.taskExecution.markFailed(id, 'intruder', 'boom'),
      () => dal.taskExecution.heartbeat(id, 'intruder'),
      () => dal.taskExecution.releaseClaim(id, 'intruder'),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClaimLostError);
      expect(err).toMatchObject({ taskExecutionId: id, runnerId: 'intruder', currentStatus: 'Running', currentOwner: 'owner' });
    }
    expect(await dal.taskExecution.getById(id)).toEqual(before);
    expect(await dal.taskExecution.getTaskStatus(run.pipeline.id, 'x')).toBe('Running');
    expect(await dal.context.list(10, 0)).toEqual([]);

    const missing = '0190aaaa-0000-7000-8000-00000000ffff';
    await expect(dal.taskExecution.markCompleted(missing, 'owner')).rejects.toMatchObject({ code: 'NOT_FOUND', entity: 'TaskExecution', id: missing });
    expect(await dal.taskExecution.heartbeatMany('owner', [id, missing])).toEqual({ renewed: [id], lost: [missing] });
    expect(await dal.taskExecution.markReady(id)).toBe(false);
  });

  it('rolls back a failed transaction and publishes nothing', async () => {
    const dal = await migrated();
    const signals: Signal[] = [];
    dal.signals.subscribe((s) => signals.push(s));
    const boom = new Error('boom');
    await expect(
      dal.transaction(async (tx) => {
        await tx.pipelineExecution.create({ pipelineName: 'gone' });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await dal.pipelineExecution.getActiveExecutions()).toEqual([]);
    expect(signals).toEqual([]);

    const kept = await dal.transaction(async (tx) => tx.pipelineExecution.create({ pipelineName: 'kept' }));
    expect((await dal.pipelineExecution.getActiveExecutions()).map((p) => p.id)).toEqual([kept.id]);
    expect(signals.map((s) => s.type)).toEqual(['pipeline_created']);
  });

  it('nests with savepoints: an inner failure rolls back only the inner part', async () => {
    const dal = await migrated();
    const outer = await dal.transaction(async (tx) => {
      const p = await tx.pipelineExecution.create({ pipelineName: 'outer' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.pipelineExecution.create({ pipelineName: 'inner' });
          throw new Error('inner failure');
        }),
      ).rejects.toThrow('inner failure');
      const kept = await tx.transaction(async (inner) => inner.pipelineExecution.create({ pipelineName: 'inner-kept' }));
      return [p.id, kept.id];
    });
    expect((await dal.pipelineExecution.getActiveExecutions()).map((p) => p.id)).toEqual(outer);
  });

  it('aborts a transaction after a database error even if the callback catches it', async () => {
    const dal = await migrated();
    const unknownContext = '0190aaaa-0000-7000-8000-00000000abcd';
    const err = await dal
      .transaction(async (tx) => {
        await tx.pipelineExecution.create({ pipelineName: 'doomed' });
        await tx.pipelineExecution.create({ pipelineName: 'fk', contextId: unknownContext }).catch((e: unknown) => {
          expect(e).toMatchObject({ code: 'CONSTRAINT', kind: 'foreign_key' });
        });
        await expect(tx.pipelineExecution.getActiveExecutions()).rejects.toMatchObject({ code: 'DATABASE', dbCode: 'TX_ABORTED' });
        return 'resolved anyway';
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ dbCode: 'TX_ABORTED' });
    expect(await dal.pipelineExecution.getActiveExecutions()).toEqual([]);
  });

  it('keeps a transaction usable after typed errors, and refuses misuse', async () => {
    const dal = await migrated();
    let escaped: Dal | null = null;
    await dal.transaction(async (tx) => {
      escaped = tx;
      await expect(tx.pipelineExecution.getById('0190aaaa-0000-7000-8000-00000000abcd')).rejects.toBeInstanceOf(NotFoundError);
      await expect(tx.taskExecution.claimReadyTasks('r', -1)).rejects.toBeInstanceOf(ValidationError);
      await expect(dal.pipelineExecution.getActiveExecutions()).rejects.toThrow('use the transaction-bound DAL inside transaction()');
      await expect(dal.transaction(async () => 1)).rejects.toBeInstanceOf(ConfigurationError);
      await tx.pipelineExecution.create({ pipelineName: 'after-typed-errors' });
    });
    expect(await dal.pipelineExecution.getActiveExecutions()).toHaveLength(1);
    await expect(escaped!.pipelineExecution.getActiveExecutions()).rejects.toThrow('transaction already finished');
  });

  it('rejects bad input with ValidationError and writes nothing', async () => {
    const dal = await migrated();
    const count = async () => Number((await db.raw('SELECT count(*) AS n FROM pipeline_executions'))[0]!.n);
    await expect(
      dal.pipelineExecution.createWithTasks({ pipelineName: 'wf', pipelineVersion: '1', inputContext: { a: 1 }, tasks: [spec('a'), spec('a')] }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(dal.pipelineExecution.createWithTasks({ pipelineName: 'wf', pipelineVersion: '1', inputContext: {}, tasks: [] })).rejects.toBeInstanceOf(ValidationError);
    await expect(
      dal.pipelineExecution.createWithTasks({ pipelineName: 'wf', pipelineVersion: '1', inputContext: { bad: '\u0000' }, tasks: [spec('a')] }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(dal.taskExecution.getById('not-a-uuid')).rejects.toBeInstanceOf(ValidationError);
    await expect(dal.context.list(-1, 0)).rejects.toBeInstanceOf(ValidationError);
    await expect(dal.pipelineExecution.updateStatus('0190aaaa-0000-7000-8000-000000000001', 'Nope' as never)).rejects.toBeInstanceOf(ValidationError);
    expect(await count()).toBe(0);
    expect(Number((await db.raw('SELECT count(*) AS n FROM contexts'))[0]!.n)).toBe(0);
  });

  it('refuses calls after close(), which is idempotent', async () => {
    const dal = await migrated();
    expect(dal.poolStats()).toMatchObject({ total: expect.any(Number), idle: expect.any(Number), waiting: 0, max: backend === 'postgres' ? 3 : 1 });
    await Promise.all([dal.close(), dal.close()]);
    await dal.close();
    await expect(dal.pipelineExecution.getActiveExecutions()).rejects.toThrow('DAL is closed');
  });
});
