/**
 * Deletes and ordering, part 1 (02 §1 "Deletes", "Ordering", §9): idempotent deletes with exact
 * booleans and counts; context and task-execution lists with deliberately tied sort keys (the
 * clock is pinned, so several rows share a timestamp) return exactly the documented order.
 * Events, recovery events, cron, metadata and package lists are in ordering-lists.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PackageManifest } from '@cloacina/core';
import { selectedCombos } from '../support/dal-combos.js';
import { openFixture, type DalFixture } from '../support/dal-fixture.js';
import { idAt } from '../support/determinism.js';
import { at, countRows, T0, taskSpec } from '../support/core-areas.js';

const U = idAt(0xabcdef);
const manifest = (name: string, version: string): PackageManifest => ({
  formatVersion: 1,
  name,
  version,
  entry: 'index.js',
  cloacinaVersion: '0.1.0',
  fingerprint: 'sha256:00',
  workflows: [],
});
const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

describe.each(selectedCombos())('$name', (combo) => {
  let f: DalFixture;
  beforeEach(async () => {
    f = await openFixture(combo);
  });
  afterEach(() => f.close());

  it('single-row deletes return true once, then false; unknown ids return false', async () => {
    const d = f.dal;
    const ctx = (await d.context.create({ a: 1 }))!;
    const p = await d.pipelineExecution.create({ pipelineName: 'del' });
    const s = await d.cronSchedule.create({ workflowName: 'del', cronExpression: '* * * * *', nextRunAt: T0 });
    const bin = await d.workflowRegistryStorage.storeBinary(new Uint8Array([7]));
    await d.workflowPackages.storePackageMetadata(bin, manifest('pkg-a', '1.0.0'));
    const pkgB = await d.workflowPackages.storePackageMetadata(bin, manifest('pkg-b', '1.0.0'));
    const results = {
      context: [await d.context.delete(ctx), await d.context.delete(ctx), await d.context.delete(U)],
      pipeline: [await d.pipelineExecution.delete(p.id), await d.pipelineExecution.delete(p.id), await d.pipelineExecution.delete(U)],
      schedule: [await d.cronSchedule.delete(s.id), await d.cronSchedule.delete(s.id), await d.cronSchedule.delete(U)],
      binary: [await d.workflowRegistryStorage.deleteBinary(bin), await d.workflowRegistryStorage.deleteBinary(bin), await d.workflowRegistryStorage.deleteBinary(U)],
      packageByName: [
        await d.workflowPackages.deletePackageMetadata('pkg-a', '1.0.0'),
        await d.workflowPackages.deletePackageMetadata('pkg-a', '1.0.0'),
        await d.workflowPackages.deletePackageMetadata('pkg-a', '9.9.9'),
      ],
      packageById: [
        await d.workflowPackages.deletePackageMetadataById(pkgB),
        await d.workflowPackages.deletePackageMetadataById(pkgB),
        await d.workflowPackages.deletePackageMetadataById(U),
      ],
    };
    const expected = [true, false, false];
    expect(results).toEqual({ context: expected, pipeline: expected, schedule: expected, binary: expected, packageByName: expected, packageById: expected });
    const raw = await f.raw();
    for (const t of ['contexts', 'pipeline_executions', 'execution_events', 'cron_schedules', 'workflow_registry', 'workflow_packages']) {
      expect(await countRows(raw, t), t).toBe(0);
    }
  });

  it('executionEvent.deleteOlderThan deletes created_at < cutoff, returns the exact count, then 0', async () => {
    const p = await f.dal.pipelineExecution.create({ pipelineName: 'ev' }); // pipeline_created at T0
    for (const ms of [1000, 2000, 3000]) {
      f.clock.set(at(ms));
      await f.dal.executionEvent.create({ pipelineExecutionId: p.id, eventType: 'pipeline_started' });
    }
    expect(await f.dal.executionEvent.deleteOlderThan(at(2000))).toBe(2);
    expect(await f.dal.executionEvent.deleteOlderThan(at(2000))).toBe(0);
    expect((await f.dal.executionEvent.getByPipeline(p.id)).map((e) => e.createdAt.getTime())).toEqual([at(2000).getTime(), at(3000).getTime()]);
  });

  it('cronExecution.deleteOlderThan deletes scheduled_time < cutoff, returns the exact count, then 0', async () => {
    const s = await f.dal.cronSchedule.create({ workflowName: 'c', cronExpression: '* * * * *', nextRunAt: T0 });
    for (const m of [0, 1, 2]) await f.dal.cronExecution.create({ scheduleId: s.id, scheduledTime: at(m * 60_000) });
    expect(await f.dal.cronExecution.deleteOlderThan(at(60_000))).toBe(1);
    expect(await f.dal.cronExecution.deleteOlderThan(at(60_000))).toBe(0);
    expect(await f.dal.cronExecution.countBySchedule(s.id)).toBe(2);
  });

  it('context.list: created_at DESC, id DESC, with limit and offset', async () => {
    f.clock.set(at(1000));
    await f.dal.context.create({ n: 1 }); // id 1, later timestamp
    await f.dal.context.create({ n: 2 }); // id 2
    f.clock.set(T0);
    for (const n of [3, 4, 5]) await f.dal.context.create({ n }); // ids 3..5, earlier, tied
    expect(ids(await f.dal.context.list(10, 0))).toEqual([2, 1, 5, 4, 3].map(idAt));
    expect(ids(await f.dal.context.list(2, 1))).toEqual([1, 5].map(idAt));
    expect(ids(await f.dal.context.list(10, 5))).toEqual([]);
  });

  it('task lists by pipeline: id ASC, and (pipeline_execution_id ASC, id ASC) across pipelines', async () => {
    const a = await f.dal.pipelineExecution.create({ pipelineName: 'A' });
    const b = await f.dal.pipelineExecution.create({ pipelineName: 'B' });
    const mk = (p: string, name: string) => f.dal.taskExecution.create({ pipelineExecutionId: p, taskName: name });
    // B's tasks get lower ids than A's, and names sort against ids, so no other order can pass.
    const tb1 = (await mk(b.id, 'z')).id;
    const tb2 = (await mk(b.id, 'y')).id;
    const ta1 = (await mk(a.id, 'x')).id;
    const ta2 = (await mk(a.id, 'w')).id;
    expect(ids(await f.dal.taskExecution.getAllTasksForPipeline(a.id))).toEqual([ta1, ta2]);
    expect(ids(await f.dal.taskExecution.getTasksForPipelines([b.id, a.id]))).toEqual([ta1, ta2, tb1, tb2]);
    expect(ids(await f.dal.taskExecution.getPendingTasksBatch([b.id, a.id]))).toEqual([ta1, ta2, tb1, tb2]);
    expect(await f.dal.taskExecution.getTasksForPipelines([])).toEqual([]);
    expect(await f.dal.taskExecution.getPendingTasksBatch([])).toEqual([]);
    await f.dal.taskExecution.markReady(ta1);
    await f.dal.taskExecution.markReady(tb2);
    expect(ids(await f.dal.taskExecution.getPendingTasks(b.id))).toEqual([tb1]);
    expect(ids(await f.dal.taskExecution.getPendingTasksBatch([b.id, a.id]))).toEqual([ta2, tb1]);
  });

  it('readiness, claims, leases and retry lists return id ASC (heartbeat_at ASC, id ASC for stale claims)', async () => {
    const te = f.dal.taskExecution;
    const created = await f.dal.pipelineExecution.createWithTasks({
      pipelineName: 'ord',
      pipelineVersion: '1',
      inputContext: {},
      tasks: ['e', 'd', 'c', 'b', 'a'].map((n) => taskSpec(n)),
    });
    const [t1, t2, t3, t4, t5] = ids(created.tasks) as [string, string, string, string, string];
    expect(
      await te.markReadiness([
        { id: t5, outcome: 'Ready' },
        { id: t4, outcome: 'Skipped', reason: 'no' },
        { id: t3, outcome: 'Ready' },
        { id: t2, outcome: 'Ready' },
        { id: t1, outcome: 'Ready' },
      ]),
    ).toEqual({ ready: [t1, t2, t3, t5], skipped: [t4] });
    expect(ids(await te.getReadyForRetry())).toEqual([t1, t2, t3, t5]);

    expect(ids(await te.claimReadyTasks('r1', 2))).toEqual([t1, t2]);
    f.clock.set(at(1000));
    expect(ids(await te.claimReadyTasks('r2', 1))).toEqual([t3]);
    expect(ids(await te.findClaimsByRunner('r1'))).toEqual([t1, t2]);
    expect(ids(await te.getOrphanedTasks())).toEqual([t1, t2, t3]);

    f.clock.set(at(5000));
    await te.heartbeat(t1, 'r1'); // t1 now has the newest heartbeat
    expect(ids(await te.findStaleClaims(at(10_000)))).toEqual([t2, t3, t1]);
    expect(ids(await te.findStaleClaims(at(10_000), 2))).toEqual([t2, t3]);
    expect(ids(await te.findStaleClaims(at(1000)))).toEqual([t2]); // strictly before

    expect(await te.heartbeatMany('r1', [U, t3, t2, t1])).toEqual({ renewed: [t1, t2], lost: [t3, U] });

    await te.markFailed(t2, 'r1', 'second');
    await te.markFailed(t1, 'r1', 'first');
    expect(ids(await te.getExhaustedRetryTasks(created.pipeline.id))).toEqual([t1, t2]);
  });
});
