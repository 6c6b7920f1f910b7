/** Failure handling end to end: retries that succeed or exhaust, timeouts, cancellation. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PipelineCancelledError, TaskError, task, workflow, type RunnerEventMap } from '@cloacina/runner';
import { combos, deferred, eventTypesByTask, taskSummary, TestEnv } from './harness.js';

const quick = { initialDelayMs: 10, backoff: 'fixed', jitter: false } as const;

describe.each(combos())('failures on $name', (combo) => {
  let env: TestEnv;
  beforeEach(() => {
    env = new TestEnv(combo.backend);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('retries a flaky task until it succeeds', async () => {
    const attempts: number[] = [];
    const flaky = task({
      id: 'flaky_fetch',
      retry: { maxAttempts: 4, ...quick },
      run: (ctx, info) => {
        attempts.push(info.attempt);
        if (info.attempt < 3) throw new TaskError(`temporary glitch #${info.attempt}`, { transient: true });
        ctx.set('fetched_on_attempt', info.attempt);
      },
    });
    const after = task({ id: 'after', dependencies: [flaky], run: () => {} });
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'flaky', tasks: [flaky, after] })] });
    const retrying: RunnerEventMap['taskRetrying'][] = [];
    runner.on('taskRetrying', (e) => retrying.push(e));

    const result = await runner.execute('flaky');
    expect(result.status).toBe('Completed');
    expect(attempts).toEqual([1, 2, 3]);
    expect(taskSummary(result)).toEqual([
      ['flaky_fetch', 'Completed', 3],
      ['after', 'Completed', 1],
    ]);
    expect(result.finalContext.get('fetched_on_attempt')).toBe(3);
    expect(retrying.map((e) => [e.attempt, e.nextAttempt, e.delayMs, e.error])).toEqual([
      [1, 2, 10, 'temporary glitch #1'],
      [2, 3, 10, 'temporary glitch #2'],
    ]);
    const events = await eventTypesByTask(runner.dal, result);
    expect(events.flaky_fetch).toEqual([
      'task_ready', 'task_claimed', 'task_retry_scheduled', 'task_claimed', 'task_retry_scheduled', 'task_claimed', 'task_completed',
    ]);
  });

  it('fails the task and the run when retries are exhausted', async () => {
    let calls = 0;
    const broken = task({ id: 'broken', retry: { maxAttempts: 3, ...quick }, run: () => { calls++; throw new Error(`attempt ${calls} failed`); } });
    const dependent = task({ id: 'dependent', dependencies: [broken], run: () => {} });
    const never = task({ id: 'never_retried', retry: { maxAttempts: 5, conditions: ['Never'], ...quick }, run: () => { throw new Error('not worth retrying'); } });
    const transientOnly = task({
      id: 'transient_only',
      retry: { maxAttempts: 5, conditions: ['TransientOnly'], ...quick },
      run: () => { throw new TaskError('bad input', { transient: false }); },
    });
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'exhaust', tasks: [broken, dependent, never, transientOnly] })] });
    const failedEvents: string[] = [];
    runner.on('taskFailed', (e) => failedEvents.push(`${e.taskId}#${e.attempt}: ${e.error}`));

    const result = await runner.execute('exhaust');
    expect(result.status).toBe('Failed');
    expect(result.errorMessage).toBe('3 task(s) failed, 0 completed, 1 skipped');
    expect(calls).toBe(3);
    expect(result.taskResults.map((t) => [t.taskId, t.status, t.attemptCount, t.maxAttempts, t.errorMessage])).toEqual([
      ['broken', 'Failed', 3, 3, 'attempt 3 failed'],
      ['dependent', 'Skipped', 1, 3, "Trigger rules not satisfied: upstream task 'public::embedded::exhaust::broken' is Failed, not Completed"],
      ['never_retried', 'Failed', 1, 5, 'not worth retrying'],
      ['transient_only', 'Failed', 1, 5, 'bad input'],
    ]);
    expect(failedEvents.sort()).toEqual(['broken#3: attempt 3 failed', 'never_retried#1: not worth retrying', 'transient_only#1: bad input']);
    const events = await eventTypesByTask(runner.dal, result);
    expect(events.broken?.filter((t) => t === 'task_retry_scheduled')).toHaveLength(2);
    expect(events.run).toEqual(['pipeline_created', 'pipeline_started', 'pipeline_failed']);
  });

  it('times out a slow attempt with TaskTimeoutError, retrying it as transient', async () => {
    const signals: AbortSignal[] = [];
    const slow = task({
      id: 'slow',
      timeoutMs: 50,
      retry: { maxAttempts: 2, ...quick },
      run: (_ctx, { signal }) => {
        signals.push(signal);
        return new Promise(() => {}); // ignores its signal: the runner must not wait for it
      },
    });
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'slow', tasks: [slow] })] });
    const result = await runner.execute('slow');
    expect(result.status).toBe('Failed');
    expect(result.taskResults[0]).toMatchObject({
      status: 'Failed',
      attemptCount: 2,
      errorMessage: "Task execution timeout: 'public::embedded::slow::slow' exceeded 50 ms",
    });
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted && (s.reason as Error).name === 'TaskTimeoutError')).toBe(true);
  });

  it('uses the runner taskTimeoutMs when the task sets none', async () => {
    const runner = await env.runner(combo.dal, {
      taskTimeoutMs: 40,
      workflows: [workflow({ name: 'hang', tasks: [task({ id: 'hang', retry: { maxAttempts: 1 }, run: () => new Promise(() => {}) })] })],
    });
    const result = await runner.execute('hang');
    expect(result.taskResults[0]?.errorMessage).toBe("Task execution timeout: 'public::embedded::hang::hang' exceeded 40 ms");
  });

  it('cancels a run: the running task is aborted, the others skipped', async () => {
    const started = deferred();
    const aborted = deferred<unknown>();
    const long = task({
      id: 'long',
      run: (_ctx, { signal }) =>
        new Promise((_resolve, reject) => {
          started.resolve();
          signal.addEventListener('abort', () => {
            aborted.resolve(signal.reason);
            reject(signal.reason);
          });
        }),
    });
    const parallel = task({ id: 'parallel', run: () => new Promise(() => {}) });
    const later = task({ id: 'later', dependencies: [long], run: () => {} });
    const runner = await env.runner(combo.dal, { maxConcurrentTasks: 1, workflows: [workflow({ name: 'cancel_me', tasks: [long, parallel, later] })] });
    const cancelled: string[] = [];
    runner.on('pipelineCancelled', (e) => cancelled.push(e.workflowName));

    const handle = await runner.executeAsync('cancel_me');
    await started.promise;
    expect(await handle.cancel()).toBe(true);
    expect(await aborted.promise).toBeInstanceOf(PipelineCancelledError);
    const result = await handle.wait();
    expect(result.status).toBe('Cancelled');
    expect(result.finalContext.toJSON()).toEqual({});
    expect(result.taskResults.map((t) => [t.taskId, t.status, t.errorMessage])).toEqual([
      ['long', 'Failed', 'CANCELLED: Pipeline cancelled'],
      ['parallel', 'Skipped', 'Pipeline cancelled'],
      ['later', 'Skipped', 'Pipeline cancelled'],
    ]);
    expect(cancelled).toEqual(['cancel_me']);
    expect(await handle.cancel()).toBe(false);
    expect(await handle.status()).toBe('Cancelled');
    const events = await eventTypesByTask(runner.dal, result);
    expect(events.run).toEqual(['pipeline_created', 'pipeline_started', 'pipeline_cancelled']);
    expect(events.long?.at(-1)).toBe('task_failed');
  });
});
