import { describe, expect, it } from 'vitest';
import type { PipelineExecution, TaskExecution } from '@cloacina/core';
import { buildPipelineResult, buildTaskResult, isTerminal, shortTaskId, workflowNameOf } from './results.js';

const t0 = new Date('2025-01-01T10:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function run(over: Partial<PipelineExecution> = {}): PipelineExecution {
  return {
    id: '0193a5e2-0000-7000-8000-000000000001',
    pipelineName: 'etl',
    pipelineVersion: 'abcdef0123456789',
    status: 'Failed',
    contextId: 'c1',
    finalContextId: 'c2',
    startedAt: t0,
    completedAt: at(1500),
    errorDetails: '1 task(s) failed, 1 completed, 1 skipped',
    recoveryAttempts: 0,
    lastRecoveryAt: null,
    createdAt: t0,
    updatedAt: at(1500),
    ...over,
  };
}

function taskRow(id: string, name: string, over: Partial<TaskExecution> = {}): TaskExecution {
  return {
    id,
    pipelineExecutionId: run().id,
    taskName: `public::embedded::etl::${name}`,
    status: 'Completed',
    startedAt: at(100),
    completedAt: at(350),
    attempt: 1,
    maxAttempts: 3,
    errorDetails: null,
    triggerRules: { type: 'Always' },
    taskConfiguration: {},
    retryAt: null,
    lastError: null,
    recoveryAttempts: 0,
    lastRecoveryAt: null,
    claimedBy: null,
    heartbeatAt: null,
    createdAt: t0,
    updatedAt: t0,
    ...over,
  };
}

describe('results', () => {
  it('builds a pipeline result with tasks in id order and durations', () => {
    const tasks = [
      taskRow('03', 'load', { status: 'Skipped', startedAt: null, completedAt: at(900), errorDetails: 'Trigger rules not satisfied: x' }),
      taskRow('01', 'extract'),
      taskRow('02', 'transform', { status: 'Failed', attempt: 3, errorDetails: 'boom', lastError: 'boom' }),
    ];
    const r = buildPipelineResult(run(), tasks, { day: 1 }, { rows: [1] });
    expect(r).toMatchObject({
      executionId: run().id,
      workflowName: 'etl',
      workflowVersion: 'abcdef0123456789',
      status: 'Failed',
      startTime: t0,
      endTime: at(1500),
      durationMs: 1500,
      errorMessage: '1 task(s) failed, 1 completed, 1 skipped',
    });
    expect(r.inputContext.toJSON()).toEqual({ day: 1 });
    expect(r.finalContext.toJSON()).toEqual({ rows: [1] });
    expect(r.taskResults.map((t) => [t.taskId, t.status, t.attemptCount, t.durationMs, t.errorMessage])).toEqual([
      ['extract', 'Completed', 1, 250, null],
      ['transform', 'Failed', 3, 250, 'boom'],
      ['load', 'Skipped', 1, null, 'Trigger rules not satisfied: x'],
    ]);
  });

  it('reports empty contexts for an active run without input', () => {
    const r = buildPipelineResult(run({ status: 'Running', completedAt: null, errorDetails: null, contextId: null, finalContextId: null }), [], null, null);
    expect(r.inputContext.size).toBe(0);
    expect(r.finalContext.size).toBe(0);
    expect([r.endTime, r.durationMs]).toEqual([null, null]);
  });

  it('falls back to last_error for a task that is waiting for a retry', () => {
    const r = buildTaskResult(taskRow('01', 'x', { status: 'Ready', startedAt: null, completedAt: null, attempt: 2, lastError: 'flaky' }));
    expect(r).toMatchObject({ status: 'Ready', attemptCount: 2, errorMessage: 'flaky', durationMs: null, taskExecutionId: '01' });
  });

  it('knows terminal statuses and namespace parts', () => {
    expect(['Pending', 'Running', 'Completed', 'Failed', 'Cancelled'].map((s) => isTerminal(s as never))).toEqual([false, false, true, true, true]);
    expect(shortTaskId('public::embedded::etl::load')).toBe('load');
    expect(workflowNameOf('public::embedded::etl::load')).toBe('etl');
    expect(shortTaskId('not-a-namespace')).toBe('not-a-namespace');
  });
});
