import { afterEach, describe, expect, it } from 'vitest';
import { task, workflow, type TaskExecution } from '@cloacina/core';
import { DefaultRunner, type DefaultRunnerOptions } from './index.js';
import { consoleLogger } from './logger.js';
import { createMemoryDal, type MemoryDal } from './testing/memory-dal.js';

const runners: DefaultRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.shutdown()));
});

let now = new Date('2025-06-01T12:00:00.000Z');
const clock = () => now;
const wf = workflow({
  name: 'w',
  tasks: [task({ id: 'a', run: () => ({ done: true }) }), task({ id: 'b', dependencies: ['a'], run: () => {} })],
});

async function start(dal: MemoryDal, options: Partial<DefaultRunnerOptions> = {}): Promise<DefaultRunner> {
  const runner = await DefaultRunner.create({ dal, clock, logger: consoleLogger('silent'), workflows: [wf], ...options });
  runners.push(runner);
  return runner;
}

/** A run whose first task is held by `owner` (as if that runner died mid-attempt). */
async function orphanedRun(dal: MemoryDal, owner: string): Promise<{ runId: string; task: TaskExecution }> {
  const producer = await start(dal, { enableExecutor: false, enableRecovery: false });
  const { executionId } = await producer.executeAsync('w');
  for (let i = 0; i < 100 && [...dal.state.tasks.values()].every((t) => t.status !== 'Ready'); i++) await new Promise((r) => setTimeout(r, 5));
  const [claim] = await dal.taskExecution.claimReadyTasks(owner, 1, ['w']);
  await producer.shutdown();
  return { runId: executionId, task: dal.state.tasks.get(claim!.id) as TaskExecution };
}

describe('recovery (03 §9)', () => {
  it('reclaims its own tasks at start when restarted with the same stable id', async () => {
    now = new Date('2025-06-01T12:00:00.000Z');
    const dal = createMemoryDal({ clock });
    const { runId, task: t } = await orphanedRun(dal, 'worker-1');
    const runner = await start(dal, { runnerId: 'worker-1' });
    const events = await dal.recoveryEvent.getByPipeline(runId);
    expect(events.map((e) => [e.recoveryType, e.taskExecutionId, e.details])).toEqual([
      [
        'task_reset',
        t.id,
        { task_name: 'public::embedded::w::a', previous_status: 'Running', new_status: 'Ready', recovery_attempt: 1, previous_runner: 'worker-1', reason: 'runner_restart' },
      ],
    ]);
    const result = await runner.getExecutionResult(runId);
    expect(dal.state.runs.get(runId)?.recoveryAttempts).toBe(1);
    expect(result.taskResults[0]?.attemptCount).toBe(1); // the same attempt re-runs
    await expect(handleOf(runner, runId)).resolves.toBe('Completed');
  });

  it('resets claims whose heartbeat is older than the threshold, from any runner', async () => {
    now = new Date('2025-06-01T12:00:00.000Z');
    const dal = createMemoryDal({ clock });
    const { runId } = await orphanedRun(dal, 'dead-runner');
    // Not stale yet: the sweep at start leaves it alone.
    const early = await start(dal, { enableExecutor: false });
    expect(await dal.recoveryEvent.getByPipeline(runId)).toEqual([]);
    await early.shutdown();
    now = new Date(now.getTime() + 61_000);
    const runner = await start(dal);
    const [event] = await dal.recoveryEvent.getByPipeline(runId);
    expect(event?.details).toMatchObject({ previous_runner: 'dead-runner', reason: 'stale_heartbeat', recovery_attempt: 1 });
    await expect(handleOf(runner, runId)).resolves.toBe('Completed');
  });

  it('abandons a task after maxRecoveryAttempts and fails its run', async () => {
    now = new Date('2025-06-01T12:00:00.000Z');
    const dal = createMemoryDal({ clock });
    const { runId, task: t } = await orphanedRun(dal, 'dead-runner');
    t.recoveryAttempts = 3;
    now = new Date(now.getTime() + 61_000);
    const runner = await start(dal, { enableExecutor: false });
    const failed: string[] = [];
    runner.on('pipelineFailed', (e) => failed.push(e.error));
    const events = (await dal.recoveryEvent.getByPipeline(runId)).reverse();
    expect(events.map((e) => [e.recoveryType, e.details])).toEqual([
      ['task_abandoned', { task_name: 'public::embedded::w::a', recovery_attempts: 3, reason: 'Exceeded maximum recovery attempts' }],
      ['pipeline_failed', { reason: 'Task abandonment caused pipeline failure', abandoned_tasks: 1 }],
    ]);
    const result = await runner.getExecutionResult(runId);
    expect(result.status).toBe('Failed');
    expect(result.errorMessage).toBe('Task abandonment caused pipeline failure');
    expect(result.taskResults.map((r) => [r.status, r.errorMessage])).toEqual([
      ['Failed', 'ABANDONED: Exceeded recovery attempts'],
      ['Skipped', 'Pipeline failed: Task abandonment caused pipeline failure'],
    ]);
  });

  it('resets tasks of workflows it does not know, unless told to abandon them', async () => {
    now = new Date('2025-06-01T12:00:00.000Z');
    const dal = createMemoryDal({ clock });
    const first = await orphanedRun(dal, 'dead-runner');
    now = new Date(now.getTime() + 61_000);
    const lenient = await start(dal, { workflows: [], enableExecutor: false });
    expect(dal.state.tasks.get(first.task.id)?.status).toBe('Ready');
    await lenient.shutdown();
    await dal.pipelineExecution.cancel(first.runId); // out of the way of the next claim

    const second = await orphanedRun(dal, 'dead-runner');
    now = new Date(now.getTime() + 61_000);
    await start(dal, { workflows: [workflow({ name: 'other', tasks: [task({ id: 'x', run: () => {} })] })], enableExecutor: false, abandonUnknownWorkflows: true });
    const events = (await dal.recoveryEvent.getByPipeline(second.runId)).reverse();
    expect(events.map((e) => [e.recoveryType, e.taskExecutionId === null ? 'pipeline' : 'task', e.details])).toEqual([
      ['workflow_unavailable', 'task', { task_name: 'public::embedded::w::a', workflow_name: 'w', reason: 'Workflow not in current registry', action: 'abandoned', available_workflows: ['other'] }],
      ['workflow_unavailable', 'pipeline', { workflow_name: 'w', reason: 'Workflow not in current registry', action: 'pipeline_failed', abandoned_tasks: 1, available_workflows: ['other'] }],
    ]);
    expect(dal.state.tasks.get(second.task.id)?.errorDetails).toBe("ABANDONED: Workflow 'w' no longer available in registry");
    expect(dal.state.runs.get(second.runId)).toMatchObject({ status: 'Failed', errorDetails: "Workflow 'w' no longer available - abandoned during recovery" });
  });
});

async function handleOf(runner: DefaultRunner, runId: string): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const s = await runner.getExecutionStatus(runId);
    if (s !== 'Pending' && s !== 'Running') return s;
    await new Promise((r) => setTimeout(r, 5));
  }
  return 'timeout';
}
