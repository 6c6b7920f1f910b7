import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConstraintError, NotFoundError, type Dal } from '@cloacina/core';
import { createSqliteDal } from '../index.js';

let dir: string;
let d: Dal;
let now: Date;
let seq: number;
const id = (n: number) => `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
const at = (s: string) => new Date(`2025-01-01T${s}.000Z`);

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cloacina-sqlite-'));
  now = at('10:00:00');
  seq = 0;
  d = await createSqliteDal({ url: `sqlite://${path.join(dir, 'm.db')}`, clock: () => now, idGenerator: () => id(++seq), poolSize: 2 });
  await d.migrate();
});

afterEach(async () => {
  await d.close();
  await rm(dir, { recursive: true, force: true });
});

async function runWithTasks(names: string[]) {
  const created = await d.pipelineExecution.createWithTasks({
    pipelineName: 'wf',
    pipelineVersion: 'v1',
    inputContext: {},
    tasks: names.map((taskName) => ({ taskName, maxAttempts: 2, triggerRules: {}, taskConfiguration: {} })),
  });
  return created;
}

describe('modules', () => {
  it('context: list order, update, delete of a referenced row, garbage collection', async () => {
    const a = (await d.context.create({ a: 1 }))!;
    const b = (await d.context.create({ b: 1 }))!;
    expect(await d.context.create({})).toBeNull();
    expect((await d.context.list(10, 0)).map((c) => c.id)).toEqual([b, a]);
    await d.context.update(a, {});
    expect(await d.context.read(a)).toEqual({});
    await expect(d.context.update(id(999), { x: 1 })).rejects.toMatchObject({ entity: 'Context', id: id(999) });
    await d.pipelineExecution.create({ pipelineName: 'p', contextId: a });
    await expect(d.context.delete(a)).rejects.toBeInstanceOf(ConstraintError);
    now = at('11:00:00');
    expect(await d.context.deleteUnreferenced(at('10:30:00'))).toBe(1);
    expect(await d.context.find(b)).toBeNull();
    expect(await d.context.delete(b)).toBe(false);
  });

  it('tasks: readiness, abandon with guard, recovery, retry reset and statistics', async () => {
    const { pipeline, tasks } = await runWithTasks(['a', 'b', 'c']);
    const [a, b, c] = tasks.map((t) => t.id) as [string, string, string];
    expect(await d.taskExecution.markReady(a)).toBe(true);
    expect(await d.taskExecution.markReady(a)).toBe(false);
    expect(await d.taskExecution.markSkipped(c, 'why')).toBe(true);
    expect(await d.taskExecution.getTaskStatusesBatch(pipeline.id, ['a', 'c', 'zz'])).toEqual({ a: 'Ready', c: 'Skipped' });
    await expect(d.taskExecution.getTaskStatus(pipeline.id, 'zz')).rejects.toMatchObject({ id: `${pipeline.id}/zz` });
    expect((await d.taskExecution.getPendingTasksBatch([pipeline.id])).map((t) => t.id)).toEqual([b]);

    await d.taskExecution.claimReadyTasks('r1', 5);
    expect((await d.taskExecution.findClaimsByRunner('r1')).map((t) => t.id)).toEqual([a]);
    now = at('10:05:00');
    expect(await d.taskExecution.findStaleClaims(at('10:00:00'))).toEqual([]);
    expect((await d.taskExecution.findStaleClaims(at('10:00:01'))).map((t) => t.id)).toEqual([a]);
    expect(await d.taskExecution.resetTaskForRecovery(a, { claimedBy: 'other' })).toBe(false);
    expect(await d.taskExecution.resetTaskForRecovery(a, { claimedBy: 'r1', heartbeatBefore: at('10:00:00') })).toBe(false);
    expect(await d.taskExecution.resetTaskForRecovery(a, { claimedBy: 'r1', heartbeatBefore: at('10:00:01') })).toBe(true);
    const reset = await d.executionEvent.getByTask(a);
    expect(reset.at(-1)).toMatchObject({ eventType: 'task_reset', eventData: { recovery_attempts: 1, previous_runner: 'r1' } });

    await d.taskExecution.claimReadyTasks('r2', 5);
    expect(await d.taskExecution.markAbandoned(a, 'gone', { claimedBy: 'r1' })).toBe(false);
    expect(await d.taskExecution.markAbandoned(a, 'gone', { claimedBy: 'r2' })).toBe(true);
    expect(await d.taskExecution.checkPipelineFailure(pipeline.id)).toBe(true);
    expect((await d.taskExecution.getById(a)).errorDetails).toBe('ABANDONED: gone');

    expect(await d.taskExecution.resetRetryState(b)).toBe(false); // NotStarted is refused
    expect(await d.taskExecution.resetRetryState(a)).toBe(true);
    expect(await d.taskExecution.checkPipelineFailure(pipeline.id)).toBe(false);
    await d.taskExecution.claimReadyTasks('r3', 5);
    await d.taskExecution.scheduleRetry(a, 'r3', { retryAt: at('10:05:00') });
    await d.taskExecution.claimReadyTasks('r3', 5);
    await d.taskExecution.markFailed(a, 'r3', 'final');
    expect(await d.taskExecution.getRetryStats(pipeline.id)).toEqual({
      tasksWithRetries: 1,
      totalRetries: 1,
      maxAttemptsUsed: 2,
      tasksExhaustedRetries: 1,
    });
    expect((await d.taskExecution.getExhaustedRetryTasks(pipeline.id)).map((t) => t.id)).toEqual([a]);
    expect(await d.taskExecution.checkPipelineCompletion(pipeline.id)).toBe(false);
    expect(await d.pipelineExecution.finalize(pipeline.id, {})).toEqual({ outcome: 'not_finished', remaining: 1 });
    expect(await d.pipelineExecution.markFailed(pipeline.id, 'stop')).toBe(true);
    expect((await d.taskExecution.getById(b)).errorDetails).toBe('Pipeline failed: stop');
  });

  it('metadata: upsert keeps id, dependency order, contexts joined', async () => {
    const { pipeline, tasks } = await runWithTasks(['a', 'b', 'c']);
    const ctx = (await d.context.create({ out: 1 }))!;
    const first = await d.taskExecutionMetadata.upsertTaskExecutionMetadata({
      taskExecutionId: tasks[0]!.id,
      pipelineExecutionId: pipeline.id,
      taskName: 'a',
    });
    now = at('10:01:00');
    const second = await d.taskExecutionMetadata.upsertTaskExecutionMetadata({
      taskExecutionId: tasks[0]!.id,
      pipelineExecutionId: pipeline.id,
      taskName: 'a',
      contextId: ctx,
    });
    expect(second).toMatchObject({ id: first.id, createdAt: first.createdAt, updatedAt: now, contextId: ctx });
    await d.taskExecutionMetadata.create({ taskExecutionId: tasks[1]!.id, pipelineExecutionId: pipeline.id, taskName: 'b' });
    const deps = await d.taskExecutionMetadata.getDependencyMetadataWithContexts(pipeline.id, ['b', 'x', 'a', 'b']);
    expect(deps.map((r) => [r.metadata.taskName, r.context])).toEqual([
      ['b', null],
      ['a', { out: 1 }],
    ]);
    await expect(
      d.taskExecutionMetadata.upsertTaskExecutionMetadata({ taskExecutionId: tasks[2]!.id, pipelineExecutionId: pipeline.id, taskName: 'a' }),
    ).rejects.toMatchObject({ kind: 'unique' });
    expect(
      await d.taskExecutionMetadata.getByPipelineAndTask(pipeline.id, { tenantId: 't', packageName: 'p', workflowId: 'w', taskId: 'x' }).catch(
        (e: NotFoundError) => e.id,
      ),
    ).toBe(`${pipeline.id}/t::p::w::x`);
  });

  it('cron: due schedules, compare-and-set, audit rows and statistics', async () => {
    const s = await d.cronSchedule.create({
      workflowName: 'w',
      cronExpression: '*/5 * * * *',
      nextRunAt: at('10:00:00'),
      startDate: at('09:00:00'),
    });
    expect(s).toMatchObject({ enabled: true, catchupPolicy: 'skip', timezone: 'UTC', lastRunAt: null });
    expect((await d.cronSchedule.getDueSchedules(at('10:00:00'))).map((x) => x.id)).toEqual([s.id]);
    expect(await d.cronSchedule.getDueSchedules(at('09:59:59'))).toEqual([]);
    const claim = { expectedNextRunAt: at('10:00:00'), now: at('10:00:00'), lastRunAt: at('10:00:00'), nextRunAt: at('10:05:00') };
    const wins = await Promise.all([1, 2, 3, 4].map(() => d.cronSchedule.claimAndUpdate(s.id, claim)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    await expect(d.cronSchedule.claimAndUpdate(id(999), claim)).rejects.toBeInstanceOf(NotFoundError);
    await d.cronSchedule.updateExpressionAndTimezone(s.id, { timezone: 'Europe/Paris', catchupPolicy: 'run_all', nextRunAt: at('11:00:00') });
    expect(await d.cronSchedule.getById(s.id)).toMatchObject({ timezone: 'Europe/Paris', catchupPolicy: 'run_all', cronExpression: '*/5 * * * *' });
    await d.cronSchedule.disable(s.id);
    expect(await d.cronSchedule.count({ enabledOnly: true })).toBe(0);
    expect(await d.cronSchedule.count()).toBe(1);

    const e1 = await d.cronExecution.create({ scheduleId: s.id, scheduledTime: at('10:00:00') });
    now = at('10:30:00');
    const run = await d.pipelineExecution.create({ pipelineName: 'w' });
    const e2 = await d.cronExecution.create({ scheduleId: s.id, scheduledTime: at('10:05:00') });
    expect(await d.cronExecution.linkPipelineExecution(e2.id, run.id)).toBe(true);
    expect(await d.cronExecution.linkPipelineExecution(e2.id, run.id)).toBe(false);
    expect((await d.cronExecution.findLostExecutions(10)).map((e) => e.id)).toEqual([e1.id]);
    expect(await d.cronExecution.getExecutionStats(at('00:00:00'))).toEqual({
      totalExecutions: 2,
      successfulExecutions: 1,
      lostExecutions: 1,
      successRate: 50,
    });
    expect(await d.cronExecution.getExecutionStats(at('23:00:00'))).toMatchObject({ totalExecutions: 0, successRate: 0 });
    expect((await d.cronExecution.getLatestBySchedule(s.id))!.id).toBe(e2.id);
    expect((await d.cronExecution.getByPipelineExecutionId(run.id))!.id).toBe(e2.id);
    expect(await d.cronExecution.executionExists(s.id, at('10:05:00'))).toBe(true);
    expect((await d.cronExecution.getByScheduleId(s.id, 10, 0)).map((e) => e.id)).toEqual([e2.id, e1.id]);
    // Deleting the run removes the audit row that launched it.
    await d.pipelineExecution.delete(run.id);
    expect(await d.cronExecution.countBySchedule(s.id)).toBe(1);
    expect(await d.cronSchedule.delete(s.id)).toBe(true);
    expect(await d.cronExecution.findById(e1.id)).toBeNull();
  });

  it('packages and recovery events: orders and round-trips', async () => {
    const reg = id(500);
    const m = (name: string, version: string) => ({
      formatVersion: 1,
      name,
      version,
      description: 'd',
      entry: 'x.js',
      cloacinaVersion: '0.1.0',
      fingerprint: 'f',
      workflows: [],
    });
    const p2 = await d.workflowPackages.storePackageMetadata(reg, m('b', '1.0'), 'filesystem');
    const p1 = await d.workflowPackages.storePackageMetadata(reg, m('a', '2.0'));
    expect((await d.workflowPackages.listAllPackages()).map((p) => p.id)).toEqual([p1, p2]);
    expect(await d.workflowPackages.getPackageMetadata('b', '1.0')).toMatchObject({ storageType: 'filesystem', metadata: m('b', '1.0'), author: null });
    expect(await d.workflowPackages.deletePackageMetadata('b', '1.0')).toBe(true);
    expect(await d.workflowPackages.getPackageMetadataById(p2)).toBeNull();

    const run = await d.pipelineExecution.create({ pipelineName: 'p' });
    const r1 = await d.recoveryEvent.create({ pipelineExecutionId: run.id, recoveryType: 'pipeline_failed', details: { reason: 'x' } });
    const r2 = await d.recoveryEvent.create({ pipelineExecutionId: run.id, recoveryType: 'workflow_unavailable' });
    expect((await d.recoveryEvent.getByPipeline(run.id)).map((r) => r.id)).toEqual([r2.id, r1.id]);
    expect((await d.recoveryEvent.getWorkflowUnavailableEvents()).map((r) => r.id)).toEqual([r2.id]);
    expect(await d.recoveryEvent.getRecent(1)).toEqual([r2]);
    expect((await d.executionEvent.getByType('pipeline_created', { limit: 1 })).map((e) => e.pipelineExecutionId)).toEqual([run.id]);
    expect(await d.executionEvent.deleteOlderThan(at('10:00:01'))).toBe(1);
  });
});
