import { afterEach, describe, expect, it } from 'vitest';
import { ConstraintError, NotFoundError, type Dal } from '@cloacina/core';
import { BACKENDS, pinnedClock, sequentialIds, spec, testDb, type TestDb } from './testing/support.js';

describe.each(BACKENDS)('pipelines and tasks on %s', (backend) => {
  let db: TestDb;
  let dal: Dal;
  const clock = pinnedClock();
  afterEach(async () => db?.cleanup());

  async function setup() {
    db = testDb(backend);
    dal = await db.open({ clock: clock.clock, idGenerator: sequentialIds(), runnerId: 'me' });
    await dal.migrate();
    return dal.pipelineExecution.createWithTasks({
      pipelineName: 'wf',
      pipelineVersion: 'v1',
      inputContext: {},
      tasks: [spec('a'), spec('b'), spec('c'), spec('d')],
    });
  }

  it('fails and cancels runs with the documented task side effects', async () => {
    const run = await setup();
    const [a, b, c] = run.tasks.map((t) => t.id);
    await dal.taskExecution.markReadiness([
      { id: a!, outcome: 'Ready' },
      { id: b!, outcome: 'Ready' },
    ]);
    await dal.taskExecution.claimReadyTasks('r1', 1);
    expect(await dal.pipelineExecution.cancel(run.pipeline.id)).toBe(true);
    expect(await dal.pipelineExecution.cancel(run.pipeline.id)).toBe(false);
    const tasks = await dal.taskExecution.getAllTasksForPipeline(run.pipeline.id);
    expect(tasks.map((t) => [t.status, t.errorDetails, t.claimedBy])).toEqual([
      ['Failed', 'CANCELLED: Pipeline cancelled', null],
      ['Skipped', 'Pipeline cancelled', null],
      ['Skipped', 'Pipeline cancelled', null],
      ['Skipped', 'Pipeline cancelled', null],
    ]);
    const last = (await dal.executionEvent.getByPipeline(run.pipeline.id)).at(-1)!;
    expect([last.eventType, last.eventData]).toEqual(['pipeline_cancelled', { skipped_tasks: 3, revoked_tasks: 1 }]);
    expect(await dal.taskExecution.checkPipelineCompletion(run.pipeline.id)).toBe(true);

    const other = await dal.pipelineExecution.create({ pipelineName: 'wf' });
    expect(await dal.pipelineExecution.markFailed(other.id, 'why')).toBe(true);
    expect((await dal.pipelineExecution.getById(other.id)).errorDetails).toBe('why');
    await dal.pipelineExecution.updateStatus(other.id, 'Running');
    expect((await dal.pipelineExecution.getById(other.id)).completedAt).toBeNull();
    expect(await dal.pipelineExecution.markCompleted(other.id)).toBe(true);
    await expect(dal.pipelineExecution.markCompleted('0190aaaa-0000-7000-8000-00000000ffff')).rejects.toBeInstanceOf(NotFoundError);
    expect(c).toBeDefined();
  });

  it('schedules retries, recovers leases and reports statistics', async () => {
    const run = await setup();
    const [a, b, c, d] = run.tasks.map((t) => t.id) as [string, string, string, string];
    await dal.taskExecution.markReadiness([a, b, c].map((id) => ({ id, outcome: 'Ready' as const })));
    expect((await dal.taskExecution.claimReadyTasks('r1', 10, ['other'])).length).toBe(0);
    expect((await dal.taskExecution.claimReadyTasks('r1', 10, ['wf'])).map((x) => x.id)).toEqual([a, b, c]);
    expect((await dal.taskExecution.findClaimsByRunner('r1')).map((t) => t.id)).toEqual([a, b, c]);

    const retryAt = new Date(clock.clock().getTime() + 60_000);
    await dal.taskExecution.scheduleRetry(a, 'r1', { retryAt, error: 'flaky' });
    const retried = await dal.taskExecution.getById(a);
    expect([retried.status, retried.attempt, retried.retryAt, retried.lastError, retried.claimedBy]).toEqual(['Ready', 2, retryAt, 'flaky', null]);
    expect(await dal.taskExecution.getReadyForRetry()).toEqual([]);
    expect(await dal.taskExecution.claimReadyTasks('r2', 5)).toEqual([]);

    clock.advance(1000);
    const stale = await dal.taskExecution.findStaleClaims(clock.clock());
    expect(stale.map((t) => t.id)).toEqual([b, c]);
    expect(await dal.taskExecution.resetTaskForRecovery(b, { claimedBy: 'someone-else' })).toBe(false);
    expect(await dal.taskExecution.resetTaskForRecovery(b, { claimedBy: 'r1', heartbeatBefore: clock.clock() })).toBe(true);
    const events = await dal.executionEvent.getByTask(b);
    expect(events.at(-1)).toMatchObject({ eventType: 'task_reset', eventData: { recovery_attempts: 1, previous_runner: 'r1' } });
    expect(await dal.taskExecution.markAbandoned(c, 'lost', { claimedBy: 'r1' })).toBe(true);
    expect(await dal.taskExecution.checkPipelineFailure(run.pipeline.id)).toBe(true);
    expect(await dal.taskExecution.markSkipped(d, 'no')).toBe(true);
    expect(await dal.taskExecution.getTaskStatusesBatch(run.pipeline.id, ['a', 'd', 'zz'])).toEqual({ a: 'Ready', d: 'Skipped' });
    expect(await dal.taskExecution.getRetryStats(run.pipeline.id)).toEqual({ tasksWithRetries: 1, totalRetries: 1, maxAttemptsUsed: 2, tasksExhaustedRetries: 0 });
    expect(await dal.taskExecution.getExhaustedRetryTasks(run.pipeline.id)).toEqual([]);
    expect(await dal.taskExecution.resetRetryState(c)).toBe(true);
    expect((await dal.taskExecution.getById(c)).errorDetails).toBeNull();
    expect((await dal.taskExecution.getOrphanedTasks()).length).toBe(0);
    expect((await dal.taskExecution.getPendingTasksBatch([run.pipeline.id])).length).toBe(0);
    expect((await dal.taskExecution.getTasksForPipelines([run.pipeline.id, run.pipeline.id])).length).toBe(4);
  });

  it('creates single tasks and metadata with the documented conflicts', async () => {
    const run = await setup();
    const p = run.pipeline.id;
    const t = await dal.taskExecution.create({ pipelineExecutionId: p, taskName: 'solo', status: 'Running', claimedBy: 'r9' });
    expect([t.status, t.claimedBy, t.heartbeatAt?.getTime()]).toEqual(['Running', 'r9', clock.clock().getTime()]);
    await expect(dal.taskExecution.create({ pipelineExecutionId: p, taskName: 'solo' })).rejects.toMatchObject({ code: 'CONSTRAINT', kind: 'unique' });
    const ctx = await dal.context.create({ k: 'v' });
    const m1 = await dal.taskExecutionMetadata.upsertTaskExecutionMetadata({ taskExecutionId: t.id, pipelineExecutionId: p, taskName: 'solo' });
    clock.advance(5);
    const m2 = await dal.taskExecutionMetadata.upsertTaskExecutionMetadata({ taskExecutionId: t.id, pipelineExecutionId: p, taskName: 'solo', contextId: ctx });
    expect([m2.id, m2.createdAt, m2.contextId]).toEqual([m1.id, m1.createdAt, ctx]);
    await expect(
      dal.taskExecutionMetadata.upsertTaskExecutionMetadata({ taskExecutionId: run.tasks[0]!.id, pipelineExecutionId: p, taskName: 'solo' }),
    ).rejects.toBeInstanceOf(ConstraintError);
    expect(await dal.taskExecutionMetadata.getByPipelineAndTask(p, 'solo')).toEqual(m2);
    expect((await dal.taskExecutionMetadata.getDependencyMetadataWithContexts(p, ['x', 'solo'])).map((r) => r.context)).toEqual([{ k: 'v' }]);
    await expect(dal.context.delete(ctx!)).rejects.toMatchObject({ kind: 'foreign_key' });
    await dal.taskExecutionMetadata.updateContextId(t.id, null);
    expect(await dal.context.delete(ctx!)).toBe(true);
    expect(await dal.context.delete(ctx!)).toBe(false);
    expect(await dal.pipelineExecution.delete(p)).toBe(true);
    expect(await dal.taskExecution.findById(t.id)).toBeNull();
  });
});
