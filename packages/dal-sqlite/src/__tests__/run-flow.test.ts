import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaimLostError, NotFoundError, type Dal, type Signal } from '@cloacina/core';
import { createSqliteDal } from '../index.js';

let dir: string;
let d: Dal;
let now: Date;
let seq: number;
const id = (n: number) => `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cloacina-sqlite-'));
  now = new Date('2025-06-01T12:00:00.000Z');
  seq = 0;
  d = await createSqliteDal({
    url: `sqlite://${path.join(dir, 'flow.db')}`,
    clock: () => now,
    idGenerator: () => id(++seq),
    runnerId: 'dal-runner',
  });
  await d.migrate();
});

afterEach(async () => {
  await d.close();
  await rm(dir, { recursive: true, force: true });
});

const spec = (taskName: string, deps: string[] = []) => ({
  taskName,
  maxAttempts: 2,
  triggerRules: { type: 'Always' },
  taskConfiguration: { dependencies: deps },
});

describe('a run from creation to finalize', () => {
  it('writes every row and event of the happy path', async () => {
    const signals: Signal[] = [];
    const unsubscribe = d.signals.subscribe((s) => signals.push(s));

    const created = await d.pipelineExecution.createWithTasks({
      pipelineName: 'etl',
      pipelineVersion: 'v1',
      inputContext: { seed: 1 },
      tasks: [spec('t::p::etl::extract'), spec('t::p::etl::load', ['t::p::etl::extract'])],
    });
    // Id draw order: context, pipeline, tasks in the given order, then the event.
    expect(created.contextId).toBe(id(1));
    expect(created.pipeline).toMatchObject({ id: id(2), status: 'Pending', contextId: id(1), startedAt: now, completedAt: null });
    expect(created.tasks.map((t) => [t.id, t.taskName, t.status, t.attempt])).toEqual([
      [id(3), 't::p::etl::extract', 'NotStarted', 1],
      [id(4), 't::p::etl::load', 'NotStarted', 1],
    ]);
    expect(await d.pipelineExecution.getById(id(2))).toEqual(created.pipeline);
    expect(signals).toEqual([{ type: 'pipeline_created', pipelineExecutionId: id(2), taskExecutionId: null, schema: null }]);

    const readiness = await d.taskExecution.markReadiness([
      { id: id(3), outcome: 'Ready' },
      { id: id(4), outcome: 'Skipped', reason: 'not needed' },
    ]);
    expect(readiness).toEqual({ ready: [id(3)], skipped: [id(4)] });
    expect((await d.taskExecution.getById(id(4))).errorDetails).toBe('not needed');

    now = new Date('2025-06-01T12:00:01.000Z');
    const claims = await d.taskExecution.claimReadyTasks('runner-a', 10);
    expect(claims).toEqual([
      { id: id(3), pipelineExecutionId: id(2), taskName: 't::p::etl::extract', attempt: 1, maxAttempts: 2, taskConfiguration: { dependencies: [] } },
    ]);
    expect((await d.pipelineExecution.getById(id(2))).status).toBe('Running');
    expect(await d.taskExecution.claimReadyTasks('runner-b', 10)).toEqual([]);

    const { contextId } = await d.taskExecution.completeWithOutput(id(3), 'runner-a', { rows: 42 });
    expect(await d.context.read(contextId!)).toEqual({ rows: 42 });
    const meta = await d.taskExecutionMetadata.getByTaskExecution(id(3));
    expect(meta).toMatchObject({ pipelineExecutionId: id(2), taskName: 't::p::etl::extract', contextId });
    expect(await d.taskExecution.buildInputContext(id(2), ['t::p::etl::extract'])).toEqual({ rows: 42 });
    expect(await d.taskExecution.buildInputContext(id(2), [])).toEqual({ seed: 1 });

    const result = await d.pipelineExecution.finalize(id(2), { rows: 42, done: true });
    expect(result).toMatchObject({ outcome: 'finalized', status: 'Completed', errorDetails: null });
    expect(await d.pipelineExecution.finalize(id(2), {})).toEqual({ outcome: 'already_terminal', status: 'Completed' });

    const events = await d.executionEvent.getByPipeline(id(2));
    expect(events.map((e) => [e.eventType, e.taskExecutionId, e.runnerId])).toEqual([
      ['pipeline_created', null, 'dal-runner'],
      ['task_ready', id(3), 'dal-runner'],
      ['task_skipped', id(4), 'dal-runner'],
      ['task_claimed', id(3), 'dal-runner'],
      ['pipeline_started', null, 'dal-runner'],
      ['task_completed', id(3), 'runner-a'],
      ['pipeline_completed', null, 'dal-runner'],
    ]);
    expect(events[0]!.eventData).toEqual({ pipeline_name: 'etl', pipeline_version: 'v1', task_count: 2 });
    expect(events[5]!.eventData).toEqual({ attempt: 1, context_id: contextId });
    expect(events[6]!.eventData).toEqual({ completed: 1, failed: 0, skipped: 1, context_id: result.outcome === 'finalized' ? result.contextId : null });
    expect(signals.map((s) => s.type)).toEqual([
      'pipeline_created',
      'task_ready',
      'task_skipped',
      'task_claimed',
      'pipeline_started',
      'task_completed',
      'pipeline_completed',
    ]);
    unsubscribe();
  });

  it('fences executor writes: a lost claim throws and leaves the row unchanged', async () => {
    const { tasks } = await d.pipelineExecution.createWithTasks({
      pipelineName: 'etl',
      pipelineVersion: 'v1',
      inputContext: {},
      tasks: [spec('t::p::etl::only')],
    });
    const taskId = tasks[0]!.id;
    await d.taskExecution.markReady(taskId);
    await d.taskExecution.claimReadyTasks('runner-a', 1);
    const before = await d.taskExecution.getById(taskId);
    const eventsBefore = await d.executionEvent.getByTask(taskId);

    now = new Date('2025-06-01T12:05:00.000Z');
    for (const attempt of [
      () => d.taskExecution.markCompleted(taskId, 'runner-b'),
      () => d.taskExecution.completeWithOutput(taskId, 'runner-b', { x: 1 }),
      () => d.taskExecution.markFailed(taskId, 'runner-b', 'boom'),
      () => d.taskExecution.scheduleRetry(taskId, 'runner-b', { retryAt: now }),
      () => d.taskExecution.releaseClaim(taskId, 'runner-b'),
      () => d.taskExecution.heartbeat(taskId, 'runner-b'),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClaimLostError);
      expect(err).toMatchObject({ taskExecutionId: taskId, runnerId: 'runner-b', currentStatus: 'Running', currentOwner: 'runner-a' });
    }
    expect(await d.taskExecution.getById(taskId)).toEqual(before);
    expect(await d.executionEvent.getByTask(taskId)).toEqual(eventsBefore);
    expect(await d.taskExecution.heartbeatMany('runner-b', [taskId])).toEqual({ renewed: [], lost: [taskId] });

    await expect(d.taskExecution.markCompleted(id(999), 'runner-a')).rejects.toBeInstanceOf(NotFoundError);
    // The rightful owner still can.
    await d.taskExecution.scheduleRetry(taskId, 'runner-a', { retryAt: new Date('2025-06-01T13:00:00.000Z'), error: 'flaky' });
    const retried = await d.taskExecution.getById(taskId);
    expect(retried).toMatchObject({ status: 'Ready', attempt: 2, claimedBy: null, heartbeatAt: null, lastError: 'flaky' });
    // Not claimable before retry_at.
    expect(await d.taskExecution.claimReadyTasks('runner-a', 5)).toEqual([]);
  });

  it('cancels a run: skips waiting tasks and revokes running ones', async () => {
    const { pipeline, tasks } = await d.pipelineExecution.createWithTasks({
      pipelineName: 'etl',
      pipelineVersion: 'v1',
      inputContext: {},
      tasks: [spec('a'), spec('b')],
    });
    await d.taskExecution.markReady(tasks[0]!.id);
    await d.taskExecution.claimReadyTasks('runner-a', 1);
    expect(await d.pipelineExecution.cancel(pipeline.id)).toBe(true);
    expect(await d.pipelineExecution.cancel(pipeline.id)).toBe(false);
    const [a, b] = await d.taskExecution.getAllTasksForPipeline(pipeline.id);
    expect(a).toMatchObject({ status: 'Failed', errorDetails: 'CANCELLED: Pipeline cancelled', claimedBy: null });
    expect(b).toMatchObject({ status: 'Skipped', errorDetails: 'Pipeline cancelled' });
    const last = (await d.executionEvent.getByPipeline(pipeline.id)).at(-1)!;
    expect(last).toMatchObject({ eventType: 'pipeline_cancelled', eventData: { skipped_tasks: 1, revoked_tasks: 1 } });
    await expect(d.taskExecution.heartbeat(a!.id, 'runner-a')).rejects.toBeInstanceOf(ClaimLostError);
  });
});
