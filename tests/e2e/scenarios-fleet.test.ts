/**
 * Several runners on one database: legacy and unified DALs interchangeably, shared work,
 * recovery of a dead runner's claims, and shutdown hand-back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { task, workflow, type DefaultRunner } from '@cloacina/runner';
import { combos, deferred, eventually, taskSummary, TestEnv, type DalKind } from './harness.js';

const other = (k: DalKind): DalKind => (k === 'unified' ? 'legacy' : 'unified');

function etl(counter?: Map<string, number>) {
  const count = (id: string) => counter?.set(id, (counter.get(id) ?? 0) + 1);
  const extract = task({ id: 'extract', run: (ctx, i) => (count(i.taskExecutionId), ctx.set('rows', [1, 2, 3])) });
  const double = task({ id: 'double', dependencies: [extract], run: (ctx, i) => (count(i.taskExecutionId), ctx.set('rows', ctx.get<number[]>('rows')!.map((n) => n * 2))) });
  const load = task({ id: 'load', dependencies: [double], run: (ctx, i) => (count(i.taskExecutionId), ctx.set('sum', ctx.get<number[]>('rows')!.reduce((a, b) => a + b, 0))) });
  return workflow({ name: 'etl', tasks: [extract, double, load] });
}

describe.each(combos())('runner fleet on $name', (combo) => {
  let env: TestEnv;
  beforeEach(() => {
    env = new TestEnv(combo.backend);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it(`switches the database between the ${combo.dal} and the ${other(combo.dal)} DAL with no data step`, async () => {
    const first = await env.runner(combo.dal, { workflows: [etl()] });
    const before = await first.execute('etl', { batch: 1 });
    // A run left for the next runner: created, never executed here.
    const pendingOnly = await env.runner(combo.dal, { workflows: [etl()], enableExecutor: false, enableScheduler: false });
    const waiting = await pendingOnly.executeAsync('etl', { batch: 2 });
    await first.shutdown();
    await pendingOnly.shutdown();

    const second = await env.runner(other(combo.dal), { workflows: [etl()] });
    expect((await second.dal.migrate()).applied).toEqual([]);
    const reread = await second.getExecutionResult(before.executionId);
    expect(reread.status).toBe('Completed');
    expect(reread.finalContext.toJSON()).toEqual(before.finalContext.toJSON());
    expect(taskSummary(reread)).toEqual(taskSummary(before));
    const resumed = await waitFor(second, waiting.executionId);
    expect(resumed.finalContext.toJSON()).toEqual({ batch: 2, rows: [2, 4, 6], sum: 12 });
    const after = await second.execute('etl', { batch: 3 });
    expect(after.finalContext.get('sum')).toBe(12);
    expect((await second.listExecutions()).map((r) => r.executionId)).toEqual([after.executionId, waiting.executionId, before.executionId]);
  });

  it('runs a legacy and a unified runner side by side, each task once', async () => {
    const counter = new Map<string, number>();
    const wf = etl(counter);
    const a = await env.runner('legacy', { workflows: [wf], maxConcurrentTasks: 2 });
    await env.runner('unified', { workflows: [wf], maxConcurrentTasks: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => a.execute('etl', { i })));
    expect(results.every((r) => r.status === 'Completed' && r.finalContext.get('sum') === 12)).toBe(true);
    expect(counter.size).toBe(18);
    expect([...counter.values()].every((n) => n === 1)).toBe(true);
  });

  it('recovers the claim of a runner that died, re-running the same attempt', async () => {
    const producer = await env.runner(combo.dal, { workflows: [etl()], enableExecutor: false });
    const { executionId } = await producer.executeAsync('etl');
    const dal = producer.dal;
    let claimed: { id: string }[] = [];
    await eventually(async () => (claimed = await dal.taskExecution.claimReadyTasks('crashed-worker', 1, ['etl'])).length === 1);
    await producer.shutdown();

    // The same stable runner id comes back: its old claim is recovered at once.
    const revived = await env.runner(combo.dal, { workflows: [etl()], runnerId: 'crashed-worker' });
    const result = await waitFor(revived, executionId);
    expect(result.status).toBe('Completed');
    expect(taskSummary(result)[0]).toEqual(['extract', 'Completed', 1]);
    const recovery = await revived.dal.recoveryEvent.getByPipeline(executionId);
    expect(recovery.map((e) => [e.recoveryType, e.taskExecutionId, e.details])).toEqual([
      [
        'task_reset',
        claimed[0]!.id,
        { task_name: 'public::embedded::etl::extract', previous_status: 'Running', new_status: 'Ready', recovery_attempt: 1, previous_runner: 'crashed-worker', reason: 'runner_restart' },
      ],
    ]);
    expect((await revived.dal.pipelineExecution.getById(executionId)).recoveryAttempts).toBe(1);
  });

  it('sweeps stale claims of another runner', async () => {
    const producer = await env.runner(combo.dal, { workflows: [etl()], enableExecutor: false });
    const { executionId } = await producer.executeAsync('etl');
    await eventually(async () => (await producer.dal.taskExecution.claimReadyTasks('gone-for-good', 1, ['etl'])).length === 1);
    const sweeper = await env.runner(combo.dal, {
      workflows: [etl()],
      heartbeatIntervalMs: 200,
      staleClaimThresholdMs: 500,
      staleClaimSweepIntervalMs: 100,
    });
    const result = await waitFor(sweeper, executionId);
    expect(result.status).toBe('Completed');
    const [reset] = await sweeper.dal.recoveryEvent.getByPipeline(executionId);
    expect(reset?.details).toMatchObject({ reason: 'stale_heartbeat', previous_runner: 'gone-for-good', recovery_attempt: 1 });
  });

  it('hands a running task back on shutdown so another runner finishes it', async () => {
    const started = deferred();
    let attempts = 0;
    const slowOnce = task({
      id: 'slow_once',
      run: (_ctx, { signal, runnerId }) => {
        attempts++;
        if (runnerId === 'first') {
          started.resolve();
          return new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        }
        return { finished_by: runnerId };
      },
    });
    const wf = workflow({ name: 'handover', tasks: [slowOnce] });
    const first = await env.runner(combo.dal, { workflows: [wf], runnerId: 'first', shutdownTimeoutMs: 100 });
    const handle = await first.executeAsync('handover');
    await started.promise;
    await first.shutdown();
    const row = (await env.runner(combo.dal, { enableExecutor: false, enableScheduler: false })).dal.taskExecution;
    const [t] = await row.getAllTasksForPipeline(handle.executionId);
    expect(t).toMatchObject({ status: 'Ready', attempt: 1, claimedBy: null });

    const second = await env.runner(combo.dal, { workflows: [wf], runnerId: 'second' });
    const result = await waitFor(second, handle.executionId);
    expect(result.finalContext.toJSON()).toEqual({ finished_by: 'second' });
    expect(result.taskResults[0]?.attemptCount).toBe(1);
    expect(attempts).toBe(2);
  });
});

/** Waits through `runner` for a run it did not start. */
async function waitFor(runner: DefaultRunner, executionId: string) {
  await eventually(async () => ['Completed', 'Failed', 'Cancelled'].includes(await runner.getExecutionStatus(executionId)));
  return runner.getExecutionResult(executionId);
}
