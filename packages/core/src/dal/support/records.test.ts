import { describe, expect, it } from 'vitest';
import { newCronExecutionInput, newCronScheduleInput } from './cron-inputs.js';
import { newRecoveryEventInput, newRunInput, newTaskInput, packageMetadataInput } from './inputs.js';
import {
  contextRecord,
  cronExecutionRecord,
  cronScheduleRecord,
  executionEventRecords,
  newRunRecords,
  nonEmptyContextRecord,
  pipelineRecord,
  recoveryEventRecord,
  taskRecord,
  workflowPackageRecord,
} from './records.js';
import { claimEvents, pipelineCancelledEvents, pipelineFailedEvents } from './transition-events.js';

const now = new Date('2025-01-01T00:00:00.000Z');
const P = '0190a000-0000-7000-8000-000000000001';

/** A deterministic id generator: 0190a000-0000-7000-8000-00000000000N. */
function ids() {
  let n = 0;
  return () => `0190a000-0000-7000-8000-${String(++n).padStart(12, '0')}`;
}

describe('records of new rows', () => {
  it('completes a pipeline from the call now, completed only when created terminal', () => {
    const pending = pipelineRecord(P, { pipelineName: 'wf', pipelineVersion: '1', status: 'Pending', contextId: null }, now);
    expect(pending).toEqual({
      id: P,
      pipelineName: 'wf',
      pipelineVersion: '1',
      status: 'Pending',
      contextId: null,
      finalContextId: null,
      startedAt: now,
      completedAt: null,
      errorDetails: null,
      recoveryAttempts: 0,
      lastRecoveryAt: null,
      createdAt: now,
      updatedAt: now,
    });
    expect(pipelineRecord(P, { pipelineName: 'wf', pipelineVersion: '1', status: 'Cancelled', contextId: null }, now).completedAt).toEqual(now);
  });

  it('gives a Running task its lease and a terminal one its completion, and shares no object with the input', () => {
    const input = newTaskInput({ pipelineExecutionId: P, taskName: 't', status: 'Running', claimedBy: 'r1', taskConfiguration: { a: [1] } });
    const running = taskRecord(P, input, now);
    expect(running).toMatchObject({ startedAt: now, heartbeatAt: now, claimedBy: 'r1', completedAt: null, recoveryAttempts: 0, retryAt: null });
    expect(running.taskConfiguration).toEqual({ a: [1] });
    expect(running.taskConfiguration).not.toBe(input.taskConfiguration);
    expect(running.startedAt).not.toBe(now);
    expect(running.startedAt).not.toBe(running.heartbeatAt);
    const done = taskRecord(P, { ...input, status: 'Completed', claimedBy: null }, now);
    expect(done).toMatchObject({ startedAt: null, heartbeatAt: null, claimedBy: null, completedAt: now });
  });

  it('draws the ids of a run in the order of 02 §1: context, pipeline, tasks as given', () => {
    const run = newRunInput({
      pipelineName: 'wf',
      pipelineVersion: '1',
      inputContext: { k: 1 },
      tasks: ['b', 'a'].map((taskName) => ({ taskName, maxAttempts: 3, triggerRules: { type: 'Always' }, taskConfiguration: {} })),
    });
    const rows = newRunRecords(run, now, ids());
    expect(rows.context?.id).toMatch(/1$/);
    expect(rows.pipeline).toMatchObject({ id: expect.stringMatching(/2$/), status: 'Pending', contextId: rows.context!.id });
    expect(rows.tasks.map((t) => [t.id.slice(-1), t.taskName, t.status, t.attempt, t.maxAttempts, t.pipelineExecutionId])).toEqual([
      ['3', 'b', 'NotStarted', 1, 3, rows.pipeline.id],
      ['4', 'a', 'NotStarted', 1, 3, rows.pipeline.id],
    ]);
    const empty = newRunRecords({ ...run, inputContext: {} }, now, ids());
    expect(empty.context).toBeNull();
    expect(empty.pipeline.id).toMatch(/1$/);
  });

  it('stores a context only for a non-empty value, drawing its id only then', () => {
    const gen = ids();
    expect(nonEmptyContextRecord({}, now, gen)).toBeNull();
    const value = { a: { b: 1 } };
    const ctx = nonEmptyContextRecord(value, now, gen)!;
    expect(ctx).toEqual(contextRecord(ctx.id, value, now));
    expect(ctx.id).toMatch(/1$/);
    expect(ctx.value).not.toBe(value);
  });

  it('orders execution events and draws their ids in that order', () => {
    const ev = (pipelineExecutionId: string, taskExecutionId: string | null) => ({
      pipelineExecutionId,
      taskExecutionId,
      eventType: 'task_ready' as const,
      eventData: null,
      runnerId: 'r',
    });
    const rows = executionEventRecords([ev('p2', null), ev('p1', 't2'), ev('p1', 't1')], now, ids());
    expect(rows.map((r) => [r.id.slice(-1), r.taskExecutionId ?? r.pipelineExecutionId])).toEqual([
      ['1', 't1'],
      ['2', 't2'],
      ['3', 'p2'],
    ]);
    expect(rows[0]).toMatchObject({ eventType: 'task_ready', runnerId: 'r', createdAt: now });
  });

  it('builds cron, recovery and package records', () => {
    const schedule = cronScheduleRecord(P, newCronScheduleInput({ workflowName: 'wf', cronExpression: '* * * * *', nextRunAt: now }), now);
    expect(schedule).toMatchObject({ lastRunAt: null, enabled: true, nextRunAt: now, createdAt: now, updatedAt: now });
    const claimedAt = new Date(now.getTime() - 1000);
    expect(cronExecutionRecord(P, newCronExecutionInput({ scheduleId: P, scheduledTime: now }), now).claimedAt).toEqual(now);
    expect(cronExecutionRecord(P, newCronExecutionInput({ scheduleId: P, scheduledTime: now, claimedAt }), now).claimedAt).toEqual(claimedAt);
    const recovery = recoveryEventRecord(P, newRecoveryEventInput({ pipelineExecutionId: P, recoveryType: 'task_reset', details: { a: 1 } }), now);
    expect(recovery).toMatchObject({ recoveredAt: now, createdAt: now, updatedAt: now, details: { a: 1 }, taskExecutionId: null });
    const pkg = workflowPackageRecord(P, packageMetadataInput(P, { name: 'n', version: 'v' }, 'filesystem'), now);
    expect(pkg).toMatchObject({ registryId: P, packageName: 'n', version: 'v', description: null, author: null, storageType: 'filesystem', metadata: { name: 'n', version: 'v' } });
  });
});

describe('transition events', () => {
  it('P6: skipped tasks with the pipeline reason, then pipeline_failed', () => {
    expect(pipelineFailedEvents('p', ['t1'], 'boom', 'r')).toEqual([
      { eventType: 'task_skipped', pipelineExecutionId: 'p', taskExecutionId: 't1', eventData: { reason: 'Pipeline failed: boom' }, runnerId: 'r' },
      { eventType: 'pipeline_failed', pipelineExecutionId: 'p', taskExecutionId: null, eventData: { reason: 'boom' }, runnerId: 'r' },
    ]);
  });

  it('P7: skipped and revoked tasks, then pipeline_cancelled with both counts', () => {
    const events = pipelineCancelledEvents('p', ['t1', 't2'], [{ id: 't3', attempt: 2 }], null);
    expect(events.map((e) => [e.eventType, e.taskExecutionId, e.eventData])).toEqual([
      ['task_skipped', 't1', { reason: 'Pipeline cancelled' }],
      ['task_skipped', 't2', { reason: 'Pipeline cancelled' }],
      ['task_failed', 't3', { attempt: 2, error: 'CANCELLED: Pipeline cancelled' }],
      ['pipeline_cancelled', null, { skipped_tasks: 2, revoked_tasks: 1 }],
    ]);
  });

  it('T5 with P3: task_claimed per claim, pipeline_started per started run', () => {
    const events = claimEvents([{ id: 't1', pipelineExecutionId: 'p1', attempt: 1 }], ['p1'], 'me');
    expect(events.map((e) => [e.eventType, e.pipelineExecutionId, e.taskExecutionId, e.eventData, e.runnerId])).toEqual([
      ['task_claimed', 'p1', 't1', { attempt: 1 }, 'me'],
      ['pipeline_started', 'p1', null, null, 'me'],
    ]);
  });
});
