import { afterEach, describe, expect, it } from 'vitest';
import { DuplicateCronExecutionError, PackageExistsError, ValidationError, type Dal, type PackageManifest } from '@cloacina/core';
import { BACKENDS, pinnedClock, sequentialIds, testDb, type TestDb } from './testing/support.js';

const manifest = (name: string, version: string): PackageManifest => ({
  formatVersion: 1,
  name,
  version,
  description: 'demo',
  entry: 'index.js',
  cloacinaVersion: '0.1.0',
  fingerprint: 'abc',
  workflows: [{ name: 'wf', tasks: [{ id: 'a', dependencies: [] }] }],
});

describe.each(BACKENDS)('other modules on %s', (backend) => {
  let db: TestDb;
  let dal: Dal;
  const clock = pinnedClock();
  afterEach(async () => db?.cleanup());

  async function setup() {
    db = testDb(backend);
    dal = await db.open({ clock: clock.clock, idGenerator: sequentialIds() });
    await dal.migrate();
  }

  it('contexts: create/read/update/list/deleteUnreferenced', async () => {
    await setup();
    expect(await dal.context.create({})).toBeNull();
    const a = (await dal.context.create({ a: 1 }))!;
    const b = (await dal.context.create({ b: 'ü', n: [1, { x: null }] }))!;
    await dal.context.update(a, {});
    expect(await dal.context.read(a)).toEqual({});
    expect(await dal.context.read(b)).toEqual({ b: 'ü', n: [1, { x: null }] });
    expect((await dal.context.list(10, 0)).map((c) => c.id)).toEqual([b, a]);
    expect((await dal.context.list(1, 1)).map((c) => c.id)).toEqual([a]);
    const p = await dal.pipelineExecution.create({ pipelineName: 'wf', contextId: b });
    clock.advance(1);
    expect(await dal.context.deleteUnreferenced(clock.clock())).toBe(1);
    expect(await dal.context.find(a)).toBeNull();
    await dal.pipelineExecution.updateFinalContext(p.id, null);
    expect(await dal.pipelineExecution.getLastVersion('wf')).toBe('1.0');
    expect(await dal.pipelineExecution.getLastVersion('none')).toBeNull();
  });

  it('cron schedules and executions', async () => {
    await setup();
    const now = clock.clock();
    const s1 = await dal.cronSchedule.create({ workflowName: 'b', cronExpression: '* * * * *', nextRunAt: now });
    const s2 = await dal.cronSchedule.create({ workflowName: 'a', cronExpression: '0 * * * *', enabled: false, nextRunAt: now });
    expect(s1).toMatchObject({ timezone: 'UTC', enabled: true, catchupPolicy: 'skip', lastRunAt: null });
    await expect(dal.cronSchedule.create({ workflowName: 'x', cronExpression: 'x', nextRunAt: now, catchupPolicy: 'bad' as never })).rejects.toBeInstanceOf(ValidationError);
    expect((await dal.cronSchedule.getDueSchedules(now)).map((s) => s.id)).toEqual([s1.id]);
    expect((await dal.cronSchedule.list()).map((s) => s.id)).toEqual([s2.id, s1.id]);
    expect(await dal.cronSchedule.count({ enabledOnly: true })).toBe(1);
    await dal.cronSchedule.enable(s2.id);
    await dal.cronSchedule.updateExpressionAndTimezone(s2.id, { timezone: 'Europe/Paris', nextRunAt: now });
    expect(await dal.cronSchedule.getById(s2.id)).toMatchObject({ enabled: true, timezone: 'Europe/Paris', cronExpression: '0 * * * *' });

    const next = new Date(now.getTime() + 60_000);
    const claim = { expectedNextRunAt: now, now, lastRunAt: now, nextRunAt: next };
    const winners = await Promise.all([1, 2, 3, 4].map(() => dal.cronSchedule.claimAndUpdate(s1.id, claim)));
    expect(winners.filter(Boolean)).toHaveLength(1);
    expect((await dal.cronSchedule.findByWorkflow('b'))[0]!.nextRunAt).toEqual(next);

    const e1 = await dal.cronExecution.create({ scheduleId: s1.id, scheduledTime: now });
    const committed = await dal.transaction(async (tx) => {
      await expect(tx.cronExecution.create({ scheduleId: s1.id, scheduledTime: now })).rejects.toBeInstanceOf(DuplicateCronExecutionError);
      return tx.cronExecution.create({ scheduleId: s1.id, scheduledTime: next });
    });
    expect(await dal.cronExecution.countBySchedule(s1.id)).toBe(2);
    expect(await dal.cronExecution.executionExists(s1.id, next)).toBe(true);
    expect((await dal.cronExecution.getLatestBySchedule(s1.id))!.id).toBe(committed.id);
    expect((await dal.cronExecution.getByScheduleId(s1.id, 10, 0)).map((e) => e.id)).toEqual([committed.id, e1.id]);
    expect((await dal.cronExecution.getByTimeRange(now, next, 10, 0)).map((e) => e.id)).toEqual([e1.id]);
    clock.advance(11 * 60_000);
    expect((await dal.cronExecution.findLostExecutions(10)).map((e) => e.id)).toEqual([e1.id, committed.id]);
    const run = await dal.pipelineExecution.create({ pipelineName: 'b' });
    expect(await dal.cronExecution.linkPipelineExecution(e1.id, run.id)).toBe(true);
    expect(await dal.cronExecution.linkPipelineExecution(e1.id, run.id)).toBe(false);
    expect((await dal.cronExecution.getByPipelineExecutionId(run.id))!.id).toBe(e1.id);
    expect(await dal.cronExecution.getExecutionStats(now)).toEqual({ totalExecutions: 2, successfulExecutions: 1, lostExecutions: 1, successRate: 50 });
    expect(await dal.cronExecution.getExecutionStats(new Date(Date.UTC(2100, 0)))).toMatchObject({ totalExecutions: 0, successRate: 0 });
    expect(await dal.cronSchedule.delete(s1.id)).toBe(true);
    expect(await dal.cronExecution.findById(e1.id)).toBeNull();
  });

  it('packages, registry storage, recovery and execution events', async () => {
    await setup();
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const reg = await dal.workflowRegistryStorage.storeBinary(bytes);
    expect(await dal.workflowRegistryStorage.retrieveBinary(reg)).toEqual(bytes);
    const empty = await dal.workflowRegistryStorage.storeBinary(new Uint8Array(0));
    expect(await dal.workflowRegistryStorage.retrieveBinary(empty)).toEqual(new Uint8Array(0));
    expect(dal.workflowRegistryStorage.storageType()).toBe('database');
    expect(await dal.workflowRegistryStorage.deleteBinary(empty)).toBe(true);
    expect(await dal.workflowRegistryStorage.retrieveBinary(empty)).toBeNull();

    const id1 = await dal.workflowPackages.storePackageMetadata(reg, manifest('pkg', '2.0'));
    await dal.transaction(async (tx) => {
      await expect(tx.workflowPackages.storePackageMetadata(reg, manifest('pkg', '2.0'))).rejects.toBeInstanceOf(PackageExistsError);
      await tx.workflowPackages.storePackageMetadata(reg, manifest('pkg', '10.0'), 'filesystem');
    });
    expect((await dal.workflowPackages.listAllPackages()).map((p) => p.version)).toEqual(['10.0', '2.0']);
    expect(await dal.workflowPackages.getPackageMetadata('pkg', '2.0')).toMatchObject({ id: id1, registryId: reg, metadata: manifest('pkg', '2.0') });
    expect(await dal.workflowPackages.deletePackageMetadata('pkg', '10.0')).toBe(true);
    expect(await dal.workflowPackages.deletePackageMetadataById(id1)).toBe(true);
    expect(await dal.workflowPackages.getPackageMetadataById(id1)).toBeNull();

    const p = await dal.pipelineExecution.create({ pipelineName: 'wf' });
    const r = await dal.recoveryEvent.create({ pipelineExecutionId: p.id, recoveryType: 'workflow_unavailable', details: { reason: 'gone' } });
    expect(await dal.recoveryEvent.getWorkflowUnavailableEvents()).toEqual([r]);
    expect(await dal.recoveryEvent.getByPipeline(p.id)).toEqual([r]);
    await expect(dal.recoveryEvent.create({ pipelineExecutionId: p.id, recoveryType: 'nope' as never })).rejects.toBeInstanceOf(ValidationError);
    const manual = await dal.executionEvent.create({ pipelineExecutionId: p.id, eventType: 'pipeline_status_changed', eventData: { from: 'a', to: 'b' } });
    expect((await dal.executionEvent.getByType('pipeline_status_changed', { since: clock.clock() })).map((e) => e.id)).toEqual([manual.id]);
    expect((await dal.executionEvent.getRecent(1)).map((e) => e.id)).toEqual([manual.id]);
    clock.advance(1);
    expect(await dal.executionEvent.deleteOlderThan(clock.clock())).toBe(2);
  });
});
