/** Every module method at least once against a real server (SQL is only checked at run time). */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConstraintError, DuplicateCronExecutionError, NotFoundError, ValidationError, type Dal } from '@cloacina/core';
import { createPostgresDal } from './index.js';

const URL = process.env.CLOACINA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `dp_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
let now = new Date('2025-06-01T12:00:00.000Z');
let dal: Dal;

beforeAll(async () => {
  dal = await createPostgresDal({ url: URL, schema, poolSize: 3, listen: false, clock: () => now, runnerId: 'me' });
  await dal.migrate();
});

afterAll(async () => {
  await dal.close();
  const c = new pg.Client(URL);
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
});

const at = (iso: string) => new Date(iso);
const spec = (taskName: string, maxAttempts = 3) => ({ taskName, maxAttempts, triggerRules: { type: 'Always' }, taskConfiguration: { leaf: true } });
const MISSING = '01900000-0000-7000-8000-0000000000ff';

async function newRun(names: string[]) {
  return dal.pipelineExecution.createWithTasks({ pipelineName: `wf_${randomBytes(2).toString('hex')}`, pipelineVersion: 'v1', inputContext: {}, tasks: names.map((n) => spec(n)) });
}

describe('context', () => {
  it('creates, reads, updates, lists, deletes and collects garbage', async () => {
    expect(await dal.context.create({})).toBeNull();
    const id = (await dal.context.create({ a: 1, nested: { b: [true, null, 'ü'] } }))!;
    expect(await dal.context.read(id.toUpperCase())).toEqual({ a: 1, nested: { b: [true, null, 'ü'] } });
    await dal.context.update(id, {});
    expect(await dal.context.find(id)).toEqual({});
    await expect(dal.context.update(MISSING, { a: 1 })).rejects.toMatchObject({ entity: 'Context', id: MISSING });
    expect(await dal.context.find(MISSING)).toBeNull();
    const listed = await dal.context.list(10, 0);
    expect(listed.find((c) => c.id === id)).toMatchObject({ value: {}, createdAt: now, updatedAt: now });
    const referenced = (await dal.context.create({ r: 1 }))!;
    await dal.pipelineExecution.create({ pipelineName: 'p', contextId: referenced });
    now = at('2025-06-01T12:00:01.000Z');
    expect(await dal.context.deleteUnreferenced(now)).toBeGreaterThanOrEqual(1);
    expect(await dal.context.find(id)).toBeNull();
    expect(await dal.context.find(referenced)).toEqual({ r: 1 });
    await expect(dal.context.delete(referenced)).rejects.toBeInstanceOf(ConstraintError);
    expect(await dal.context.delete(MISSING)).toBe(false);
  });
});

describe('pipeline executions', () => {
  it('covers create, status updates, failure, finalize and lookups', async () => {
    const p = await dal.pipelineExecution.create({ pipelineName: 'lookup', pipelineVersion: '2.0', status: 'Completed' });
    expect(p).toMatchObject({ status: 'Completed', completedAt: now, pipelineVersion: '2.0' });
    expect(await dal.pipelineExecution.getLastVersion('lookup')).toBe('2.0');
    expect(await dal.pipelineExecution.getLastVersion('nope')).toBeNull();
    await dal.pipelineExecution.updateStatus(p.id, 'Running');
    expect(await dal.pipelineExecution.getById(p.id)).toMatchObject({ status: 'Running', completedAt: null });
    expect((await dal.pipelineExecution.getActiveExecutions()).map((x) => x.id)).toContain(p.id);
    await dal.pipelineExecution.incrementRecoveryAttempts(p.id);
    const ctx = await dal.context.create({ f: 1 });
    await dal.pipelineExecution.updateFinalContext(p.id, ctx);
    expect(await dal.pipelineExecution.getById(p.id)).toMatchObject({ recoveryAttempts: 1, lastRecoveryAt: now, finalContextId: ctx });
    expect(await dal.pipelineExecution.markCompleted(p.id)).toBe(true);
    expect(await dal.pipelineExecution.markCompleted(p.id)).toBe(false);
    expect((await dal.executionEvent.getByPipeline(p.id)).map((e) => e.eventType)).toEqual([
      'pipeline_created',
      'pipeline_status_changed',
      'pipeline_completed',
    ]);
    expect((await dal.pipelineExecution.listRecent(100)).length).toBeGreaterThan(0);
    await expect(dal.pipelineExecution.getById(MISSING)).rejects.toBeInstanceOf(NotFoundError);
    await expect(dal.pipelineExecution.markFailed(MISSING, 'x')).rejects.toBeInstanceOf(NotFoundError);

    const run = await newRun(['a', 'b', 'c']);
    const [a, b] = run.tasks;
    await dal.taskExecution.markReady(a!.id);
    await dal.taskExecution.claimReadyTasks('r', 1);
    expect(await dal.pipelineExecution.finalize(run.pipeline.id, {})).toEqual({ outcome: 'not_finished', remaining: 3 });
    await dal.taskExecution.markFailed(a!.id, 'r', 'bad');
    expect(await dal.pipelineExecution.markFailed(run.pipeline.id, 'because')).toBe(true);
    const tasks = await dal.taskExecution.getAllTasksForPipeline(run.pipeline.id);
    expect(tasks.map((t) => [t.status, t.errorDetails])).toEqual([
      ['Failed', 'bad'],
      ['Skipped', 'Pipeline failed: because'],
      ['Skipped', 'Pipeline failed: because'],
    ]);
    const ev = await dal.executionEvent.getByPipeline(run.pipeline.id);
    expect(ev.slice(-3).map((e) => [e.eventType, e.taskExecutionId, e.eventData])).toEqual([
      ['task_skipped', b!.id, { reason: 'Pipeline failed: because' }],
      ['task_skipped', run.tasks[2]!.id, { reason: 'Pipeline failed: because' }],
      ['pipeline_failed', null, { reason: 'because' }],
    ]);
    expect(await dal.pipelineExecution.delete(run.pipeline.id)).toBe(true);
    expect(await dal.pipelineExecution.delete(run.pipeline.id)).toBe(false);
    expect(await dal.executionEvent.getByPipeline(run.pipeline.id)).toEqual([]);
  });

  it('finalizes a failed run with the summary', async () => {
    const run = await newRun(['a', 'b']);
    await dal.taskExecution.markReadiness([
      { id: run.tasks[0]!.id, outcome: 'Ready' },
      { id: run.tasks[1]!.id, outcome: 'Skipped', reason: 'rule' },
    ]);
    await dal.taskExecution.claimReadyTasks('r', 5, [run.pipeline.pipelineName]);
    await dal.taskExecution.markFailed(run.tasks[0]!.id, 'r', 'oops');
    const fin = await dal.pipelineExecution.finalize(run.pipeline.id, { out: 1 });
    expect(fin).toMatchObject({ outcome: 'finalized', status: 'Failed', errorDetails: '1 task(s) failed, 0 completed, 1 skipped' });
    const p = await dal.pipelineExecution.getById(run.pipeline.id);
    expect(p.finalContextId).not.toBeNull();
    expect(await dal.taskExecution.checkPipelineCompletion(run.pipeline.id)).toBe(true);
  });
});

describe('task executions', () => {
  it('creates single rows and answers queries', async () => {
    const run = await newRun(['a', 'b']);
    const extra = await dal.taskExecution.create({ pipelineExecutionId: run.pipeline.id, taskName: 'x', status: 'Running', claimedBy: 'r9' });
    expect(extra).toMatchObject({ status: 'Running', claimedBy: 'r9', heartbeatAt: now, startedAt: now, triggerRules: { type: 'Always' } });
    await expect(dal.taskExecution.create({ pipelineExecutionId: run.pipeline.id, taskName: 'x' })).rejects.toMatchObject({ kind: 'unique' });
    await expect(dal.taskExecution.create({ pipelineExecutionId: MISSING, taskName: 'x' })).rejects.toMatchObject({ kind: 'foreign_key' });
    await expect(dal.taskExecution.create({ pipelineExecutionId: run.pipeline.id, taskName: 'y', status: 'Running' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect((await dal.taskExecution.getPendingTasks(run.pipeline.id)).map((t) => t.taskName)).toEqual(['a', 'b']);
    expect(await dal.taskExecution.getPendingTasksBatch([])).toEqual([]);
    expect((await dal.taskExecution.getPendingTasksBatch([run.pipeline.id])).length).toBe(2);
    expect((await dal.taskExecution.getTasksForPipelines([run.pipeline.id])).length).toBe(3);
    expect(await dal.taskExecution.checkPipelineCompletion(run.pipeline.id)).toBe(false);
    await expect(dal.taskExecution.checkPipelineCompletion(MISSING)).rejects.toMatchObject({ entity: 'PipelineExecution' });
    expect(await dal.taskExecution.getTaskStatus(run.pipeline.id, 'x')).toBe('Running');
    await expect(dal.taskExecution.getTaskStatus(run.pipeline.id, 'zz')).rejects.toMatchObject({ id: `${run.pipeline.id}/zz` });
    expect(await dal.taskExecution.getTaskStatusesBatch(run.pipeline.id, ['a', 'x', 'zz'])).toEqual({ a: 'NotStarted', x: 'Running' });
    expect(await dal.taskExecution.getTaskStatusesBatch(run.pipeline.id, [])).toEqual({});
    expect((await dal.taskExecution.findClaimsByRunner('r9')).map((t) => t.id)).toEqual([extra.id]);
    expect((await dal.taskExecution.getOrphanedTasks()).map((t) => t.id)).toContain(extra.id);
  });

  it('retries, releases, heartbeats, recovers and abandons', async () => {
    const run = await newRun(['a', 'b']);
    const [a, b] = run.tasks.map((t) => t.id) as [string, string];
    await dal.taskExecution.markReadiness([{ id: a, outcome: 'Ready' }, { id: b, outcome: 'Ready' }]);
    await dal.taskExecution.claimReadyTasks('r1', 2, [run.pipeline.pipelineName]);
    const retryAt = at('2025-06-01T13:00:00.000Z');
    await dal.taskExecution.scheduleRetry(a, 'r1', { retryAt, error: 'flaky' });
    expect(await dal.taskExecution.getById(a)).toMatchObject({ status: 'Ready', attempt: 2, retryAt, lastError: 'flaky', claimedBy: null });
    expect((await dal.taskExecution.getReadyForRetry()).map((t) => t.id)).not.toContain(a);
    expect(await dal.taskExecution.claimReadyTasks('r1', 5, [run.pipeline.pipelineName])).toEqual([]);
    expect(await dal.taskExecution.claimReadyTasks('r1', 5, [])).toEqual([]);

    now = at('2025-06-01T12:00:05.000Z');
    const hb = await dal.taskExecution.heartbeatMany('r1', [b, a, MISSING]);
    expect(hb).toEqual({ renewed: [b], lost: [a, MISSING].sort() });
    await dal.taskExecution.heartbeat(b, 'r1');
    expect((await dal.taskExecution.findStaleClaims(now)).map((t) => t.id)).not.toContain(b);
    expect((await dal.taskExecution.findStaleClaims(at('2025-06-01T12:00:05.001Z'), 10)).map((t) => t.id)).toContain(b);
    expect(await dal.taskExecution.resetTaskForRecovery(b, { claimedBy: 'r1', heartbeatBefore: now })).toBe(false);
    expect(await dal.taskExecution.resetTaskForRecovery(b, { claimedBy: 'other' })).toBe(false);
    expect(await dal.taskExecution.resetTaskForRecovery(b, { claimedBy: 'r1', heartbeatBefore: at('2025-06-01T12:00:06.000Z') })).toBe(true);
    expect(await dal.taskExecution.getById(b)).toMatchObject({ status: 'Ready', recoveryAttempts: 1, attempt: 1, claimedBy: null });
    const reset = (await dal.executionEvent.getByTask(b)).at(-1)!;
    expect(reset).toMatchObject({ eventType: 'task_reset', eventData: { recovery_attempts: 1, previous_runner: 'r1' }, runnerId: 'me' });

    await dal.taskExecution.claimReadyTasks('r2', 1, [run.pipeline.pipelineName]);
    await dal.taskExecution.releaseClaim(b, 'r2');
    expect(await dal.taskExecution.getById(b)).toMatchObject({ status: 'Ready', startedAt: null, attempt: 1 });
    expect(await dal.taskExecution.markAbandoned(b, 'gone', { claimedBy: 'r2' })).toBe(false);
    expect(await dal.taskExecution.markAbandoned(b, 'gone')).toBe(true);
    expect(await dal.taskExecution.getById(b)).toMatchObject({ status: 'Failed', errorDetails: 'ABANDONED: gone' });
    expect(await dal.taskExecution.checkPipelineFailure(run.pipeline.id)).toBe(true);
    expect(await dal.taskExecution.markAbandoned(b, 'again')).toBe(false);
    expect(await dal.taskExecution.resetRetryState(b)).toBe(true);
    expect((await dal.executionEvent.getByTask(b)).at(-1)).toMatchObject({ eventType: 'task_retry_reset', eventData: { previous_status: 'Failed' } });
    expect(await dal.taskExecution.getById(b)).toMatchObject({ status: 'Ready', errorDetails: null, completedAt: null });
    expect(await dal.taskExecution.checkPipelineFailure(run.pipeline.id)).toBe(false);

    now = at('2025-06-01T13:00:00.000Z');
    expect((await dal.taskExecution.getReadyForRetry()).map((t) => t.id)).toEqual(expect.arrayContaining([a, b]));
    await dal.taskExecution.claimReadyTasks('r3', 1, [run.pipeline.pipelineName]);
    await dal.taskExecution.markFailed(a, 'r3', 'final');
    expect(await dal.taskExecution.getRetryStats(run.pipeline.id)).toEqual({
      tasksWithRetries: 1,
      totalRetries: 1,
      maxAttemptsUsed: 2,
      tasksExhaustedRetries: 0,
    });
    expect(await dal.taskExecution.getExhaustedRetryTasks(run.pipeline.id)).toEqual([]);
    expect(await dal.taskExecution.getRetryStats(MISSING)).toEqual({ tasksWithRetries: 0, totalRetries: 0, maxAttemptsUsed: 0, tasksExhaustedRetries: 0 });
  });
});

describe('metadata, recovery and execution events', () => {
  it('upserts metadata and reads dependency outputs in the given order', async () => {
    const run = await newRun(['a', 'b']);
    const [a, b] = run.tasks;
    const ctx = await dal.context.create({ k: 1 });
    const m1 = await dal.taskExecutionMetadata.create({ taskExecutionId: a!.id, pipelineExecutionId: run.pipeline.id, taskName: 'a', contextId: ctx });
    now = at('2025-06-01T14:00:00.000Z');
    const m2 = await dal.taskExecutionMetadata.upsertTaskExecutionMetadata({ taskExecutionId: a!.id, pipelineExecutionId: run.pipeline.id, taskName: 'a' });
    expect(m2).toMatchObject({ id: m1.id, createdAt: m1.createdAt, updatedAt: now, contextId: null });
    await expect(
      dal.taskExecutionMetadata.upsertTaskExecutionMetadata({ taskExecutionId: b!.id, pipelineExecutionId: run.pipeline.id, taskName: 'a' }),
    ).rejects.toMatchObject({ kind: 'unique' });
    await dal.taskExecutionMetadata.create({ taskExecutionId: b!.id, pipelineExecutionId: run.pipeline.id, taskName: 'b' });
    await dal.taskExecutionMetadata.updateContextId(a!.id, ctx);
    await expect(dal.taskExecutionMetadata.updateContextId(MISSING, null)).rejects.toMatchObject({ entity: 'TaskExecutionMetadata' });
    expect((await dal.taskExecutionMetadata.getByTaskExecution(a!.id)).contextId).toBe(ctx);
    const ns = { tenantId: 't', packageName: 'p', workflowId: 'w', taskId: 'x' };
    await expect(dal.taskExecutionMetadata.getByPipelineAndTask(run.pipeline.id, ns)).rejects.toMatchObject({ id: `${run.pipeline.id}/t::p::w::x` });
    expect((await dal.taskExecutionMetadata.getByPipelineAndTask(run.pipeline.id, 'b')).taskExecutionId).toBe(b!.id);
    const deps = await dal.taskExecutionMetadata.getDependencyMetadataWithContexts(run.pipeline.id, ['b', 'zz', 'a', 'b']);
    expect(deps.map((d) => [d.metadata.taskName, d.context])).toEqual([
      ['b', null],
      ['a', { k: 1 }],
    ]);
    expect(await dal.taskExecution.buildInputContext(run.pipeline.id, ['b', 'a'])).toEqual({ k: 1 });
    await expect(dal.taskExecution.buildInputContext(MISSING, ['a'])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('records recovery and execution events', async () => {
    const run = await newRun(['a']);
    const r1 = await dal.recoveryEvent.create({ pipelineExecutionId: run.pipeline.id, recoveryType: 'pipeline_failed', details: { reason: 'x' } });
    const r2 = await dal.recoveryEvent.create({
      pipelineExecutionId: run.pipeline.id,
      taskExecutionId: run.tasks[0]!.id,
      recoveryType: 'workflow_unavailable',
    });
    await expect(dal.recoveryEvent.create({ pipelineExecutionId: run.pipeline.id, recoveryType: 'other' as never })).rejects.toBeInstanceOf(ValidationError);
    expect((await dal.recoveryEvent.getByPipeline(run.pipeline.id)).map((e) => e.id)).toEqual([r2.id, r1.id]);
    expect((await dal.recoveryEvent.getByTask(run.tasks[0]!.id)).map((e) => e.id)).toEqual([r2.id]);
    expect((await dal.recoveryEvent.getWorkflowUnavailableEvents()).map((e) => e.id)).toContain(r2.id);
    expect((await dal.recoveryEvent.getByType('pipeline_failed')).map((e) => e.id)).toContain(r1.id);
    expect((await dal.recoveryEvent.getRecent(1)).length).toBe(1);

    const manual = await dal.executionEvent.create({ pipelineExecutionId: run.pipeline.id, eventType: 'task_ready', eventData: { x: 1 } });
    expect(manual).toMatchObject({ runnerId: 'me', eventData: { x: 1 }, createdAt: now });
    await expect(dal.executionEvent.create({ pipelineExecutionId: run.pipeline.id, eventType: 'nope' as never })).rejects.toBeInstanceOf(ValidationError);
    expect((await dal.executionEvent.getByType('task_ready', { since: now, limit: 10 })).map((e) => e.id)).toContain(manual.id);
    expect((await dal.executionEvent.getRecent(1))[0]!.createdAt).toEqual(now);
    expect(await dal.executionEvent.deleteOlderThan(at('2000-01-01T00:00:00.000Z'))).toBe(0);
  });
});

describe('cron', () => {
  it('schedules, claims by compare-and-set and audits fires', async () => {
    const next = at('2025-06-01T15:00:00.000Z');
    const s = await dal.cronSchedule.create({ workflowName: 'cronwf', cronExpression: '0 * * * *', nextRunAt: next, catchupPolicy: 'run_all' });
    expect(s).toMatchObject({ enabled: true, timezone: 'UTC', lastRunAt: null, catchupPolicy: 'run_all' });
    await expect(
      dal.cronSchedule.create({ workflowName: 'w', cronExpression: 'x', nextRunAt: next, startDate: next, endDate: at('2025-01-01T00:00:00.000Z') }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await dal.cronSchedule.getDueSchedules(at('2025-06-01T14:59:59.999Z'))).toEqual([]);
    expect((await dal.cronSchedule.getDueSchedules(next)).map((x) => x.id)).toEqual([s.id]);
    const claim = { expectedNextRunAt: next, now: next, lastRunAt: next, nextRunAt: at('2025-06-01T16:00:00.000Z') };
    const results = await Promise.all([1, 2, 3, 4].map(() => dal.cronSchedule.claimAndUpdate(s.id, claim)));
    expect(results.filter(Boolean)).toHaveLength(1);
    await expect(dal.cronSchedule.claimAndUpdate(MISSING, claim)).rejects.toMatchObject({ entity: 'CronSchedule' });
    await dal.cronSchedule.disable(s.id);
    expect(await dal.cronSchedule.count({ enabledOnly: true })).toBe(0);
    await dal.cronSchedule.enable(s.id);
    await dal.cronSchedule.updateNextRun(s.id, next);
    await dal.cronSchedule.updateScheduleTimes(s.id, next, next);
    await dal.cronSchedule.updateExpressionAndTimezone(s.id, { cronExpression: '5 * * * *', timezone: 'Europe/Paris', nextRunAt: next });
    expect(await dal.cronSchedule.getById(s.id)).toMatchObject({ cronExpression: '5 * * * *', timezone: 'Europe/Paris', catchupPolicy: 'run_all' });
    expect((await dal.cronSchedule.list({ limit: 5 })).map((x) => x.id)).toEqual([s.id]);
    expect((await dal.cronSchedule.findByWorkflow('cronwf')).length).toBe(1);

    const run = await dal.pipelineExecution.create({ pipelineName: 'cronwf' });
    const e1 = await dal.transaction(async (tx) => {
      const row = await tx.cronExecution.create({ scheduleId: s.id, scheduledTime: next });
      await expect(tx.cronExecution.create({ scheduleId: s.id, scheduledTime: next })).rejects.toBeInstanceOf(DuplicateCronExecutionError);
      await tx.cronSchedule.updateNextRun(s.id, next);
      return row;
    });
    expect(await dal.cronExecution.executionExists(s.id, next)).toBe(true);
    expect(await dal.cronExecution.countBySchedule(s.id)).toBe(1);
    now = at('2025-06-01T16:00:00.000Z');
    expect((await dal.cronExecution.findLostExecutions(10)).map((x) => x.id)).toEqual([e1.id]);
    expect(await dal.cronExecution.getExecutionStats(at('2025-01-01T00:00:00.000Z'))).toEqual({
      totalExecutions: 1,
      successfulExecutions: 0,
      lostExecutions: 1,
      successRate: 0,
    });
    expect(await dal.cronExecution.linkPipelineExecution(e1.id, run.id)).toBe(true);
    expect(await dal.cronExecution.linkPipelineExecution(e1.id, run.id)).toBe(false);
    await dal.cronExecution.updatePipelineExecutionId(e1.id, run.id);
    expect((await dal.cronExecution.getByPipelineExecutionId(run.id))!.id).toBe(e1.id);
    expect((await dal.cronExecution.getLatestBySchedule(s.id))!.id).toBe(e1.id);
    expect((await dal.cronExecution.getByScheduleId(s.id, 10, 0)).length).toBe(1);
    expect((await dal.cronExecution.getByTimeRange(next, at('2025-06-01T15:00:00.001Z'), 10, 0)).length).toBe(1);
    expect((await dal.cronExecution.getExecutionStats(at('2025-01-01T00:00:00.000Z'))).successRate).toBe(100);
    expect(await dal.cronExecution.getExecutionStats(at('2030-01-01T00:00:00.000Z'))).toMatchObject({ totalExecutions: 0, successRate: 0 });
    expect((await dal.cronExecution.getById(e1.id)).scheduledTime).toEqual(next);
    expect(await dal.cronExecution.deleteOlderThan(at('2025-06-01T15:00:00.001Z'))).toBe(1);
    expect(await dal.cronSchedule.delete(s.id)).toBe(true);
  });
});

describe('packages and archive storage', () => {
  it('stores metadata once and round-trips bytes exactly', async () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const big = new Uint8Array(10 * 1024 * 1024).map((_, i) => (i * 31) % 256);
    for (const data of [new Uint8Array(0), all, big]) {
      const id = await dal.workflowRegistryStorage.storeBinary(data);
      const back = await dal.workflowRegistryStorage.retrieveBinary(id);
      expect(back).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(back!).equals(Buffer.from(data))).toBe(true);
      expect(await dal.workflowRegistryStorage.deleteBinary(id)).toBe(true);
    }
    expect(await dal.workflowRegistryStorage.retrieveBinary(MISSING)).toBeNull();
    await expect(dal.workflowRegistryStorage.retrieveBinary('bad')).rejects.toBeInstanceOf(ValidationError);
    expect(dal.workflowRegistryStorage.storageType()).toBe('database');

    const manifest = { name: 'pkg', version: '1.0', description: 'd', author: 'a', workflows: [] } as never;
    const id = await dal.workflowPackages.storePackageMetadata(MISSING, manifest, 'filesystem');
    await dal.workflowPackages.storePackageMetadata(MISSING, { name: 'Pkg', version: '1.0' } as never);
    expect(await dal.workflowPackages.getPackageMetadata('pkg', '1.0')).toMatchObject({ id, registryId: MISSING, storageType: 'filesystem', author: 'a' });
    expect((await dal.workflowPackages.getPackageMetadataById(id))!.metadata).toEqual(manifest);
    expect((await dal.workflowPackages.listAllPackages()).map((p) => p.packageName)).toEqual(['Pkg', 'pkg']);
    expect(await dal.workflowPackages.deletePackageMetadata('pkg', '1.0')).toBe(true);
    expect(await dal.workflowPackages.deletePackageMetadataById(id)).toBe(false);
    await expect(dal.workflowPackages.storePackageMetadata('nope', manifest)).rejects.toBeInstanceOf(ValidationError);
  });
});
