import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigurationError,
  NotFoundError,
  PipelineCancelledError,
  PipelineTimeoutError,
  RunnerShutdownError,
  TaskError,
  ValidationError,
  WorkflowNotFoundError,
  task,
  workflow,
  type PipelineStatus,
} from '@cloacina/core';
import { DefaultRunner, type DefaultRunnerOptions, type RunnerEventMap } from './index.js';
import { consoleLogger } from './logger.js';
import { deferred } from './testing/deferred.js';
import { createMemoryDal, transientDbError, type MemoryDal } from './testing/memory-dal.js';

const runners: DefaultRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.shutdown()));
});

async function start(dal: MemoryDal, options: Partial<DefaultRunnerOptions> = {}): Promise<DefaultRunner> {
  const runner = await DefaultRunner.create({ dal, logger: consoleLogger('silent'), ...options });
  runners.push(runner);
  return runner;
}

function record(runner: DefaultRunner) {
  const seen: string[] = [];
  const names = ['taskStarted', 'taskCompleted', 'taskRetrying', 'taskFailed', 'taskSkipped', 'pipelineCompleted', 'pipelineFailed', 'pipelineCancelled'] as const;
  for (const name of names) {
    runner.on(name, (p: RunnerEventMap[typeof name]) => seen.push('taskId' in p ? `${name}:${p.taskId}#${p.attempt}` : name));
  }
  return seen;
}

const quickRetry = { initialDelayMs: 5, jitter: false, backoff: 'fixed' } as const;

describe('DefaultRunner with an in-memory DAL', () => {
  it('runs a chain, merges contexts and reports events in order', async () => {
    const dal = createMemoryDal();
    const a = task({ id: 'a', run: (ctx) => ctx.set('trail', ['a']) });
    const b = task({ id: 'b', dependencies: [a], run: (ctx) => ({ trail: [...(ctx.get<string[]>('trail') ?? []), 'b'], input: ctx.get('n') ?? null }) });
    const runner = await start(dal, { workflows: [workflow({ name: 'chain', tasks: [a, b] })] });
    const events = record(runner);
    runner.on('taskCompleted', () => {
      throw new Error('listener bug must not matter');
    });
    const result = await runner.execute('chain', { n: 7 });
    expect(result.status).toBe('Completed');
    expect(result.inputContext.toJSON()).toEqual({ n: 7 });
    // a's output is its whole context (input included); b returned a plain object, which replaces it.
    expect(result.finalContext.toJSON()).toEqual({ trail: ['a', 'b'], input: 7 });
    expect(result.taskResults.map((t) => [t.taskId, t.status, t.attemptCount])).toEqual([
      ['a', 'Completed', 1],
      ['b', 'Completed', 1],
    ]);
    expect(events).toEqual(['taskStarted:a#1', 'taskCompleted:a#1', 'taskStarted:b#1', 'taskCompleted:b#1', 'pipelineCompleted']);
  });

  it('retries a failing attempt with the stored policy and the injected random source', async () => {
    const dal = createMemoryDal();
    let calls = 0;
    const flaky = task({
      id: 'flaky',
      retry: { maxAttempts: 3, initialDelayMs: 10, jitter: true },
      run: () => {
        if (++calls < 3) throw new TaskError(`try ${calls} failed`);
      },
    });
    const runner = await start(dal, { workflows: [workflow({ name: 'w', tasks: [flaky] })], random: () => 0 });
    const retries: RunnerEventMap['taskRetrying'][] = [];
    runner.on('taskRetrying', (e) => retries.push(e));
    const result = await runner.execute('w');
    expect(result.status).toBe('Completed');
    expect(result.taskResults[0]).toMatchObject({ attemptCount: 3, status: 'Completed' });
    // random() = 0 → jitter factor 0.75: 10 ms × 0.75 = 7 ms, then 20 ms × 0.75 = 15 ms.
    expect(retries.map((r) => [r.attempt, r.nextAttempt, r.delayMs, r.error])).toEqual([
      [1, 2, 7, 'try 1 failed'],
      [2, 3, 15, 'try 2 failed'],
    ]);
  });

  it('fails the run when retries are exhausted', async () => {
    const dal = createMemoryDal();
    const bad = task({ id: 'bad', retry: { maxAttempts: 2, ...quickRetry }, run: () => Promise.reject(new Error('always broken')) });
    const after = task({ id: 'after', dependencies: [bad], run: () => {} });
    const runner = await start(dal, { workflows: [workflow({ name: 'w', tasks: [bad, after] })] });
    const events = record(runner);
    const result = await runner.execute('w');
    expect(result.status).toBe('Failed');
    expect(result.errorMessage).toBe('1 task(s) failed, 0 completed, 1 skipped');
    expect(result.taskResults.map((t) => [t.taskId, t.status, t.attemptCount, t.errorMessage])).toEqual([
      ['bad', 'Failed', 2, 'always broken'],
      ['after', 'Skipped', 1, "Trigger rules not satisfied: upstream task 'public::embedded::w::bad' is Failed, not Completed"],
    ]);
    expect(events).toEqual(['taskStarted:bad#1', 'taskRetrying:bad#1', 'taskStarted:bad#2', 'taskFailed:bad#2', 'taskSkipped:after#1', 'pipelineFailed']);
  });

  it('times out an attempt and records the timeout text', async () => {
    const dal = createMemoryDal();
    let signal: AbortSignal | undefined;
    const slow = task({ id: 'slow', timeoutMs: 30, retry: { maxAttempts: 1 }, run: (_c, i) => ((signal = i.signal), new Promise(() => {})) });
    const runner = await start(dal, { workflows: [workflow({ name: 'w', tasks: [slow] })] });
    const result = await runner.execute('w');
    expect(result.taskResults[0]?.errorMessage).toBe("Task execution timeout: 'public::embedded::w::slow' exceeded 30 ms");
    expect(signal?.aborted).toBe(true);
  });

  it('cancels a run: the running attempt sees its signal, the rest is skipped', async () => {
    const dal = createMemoryDal();
    let seen: unknown;
    const started = deferred<void>();
    const long = task({
      id: 'long',
      run: (_c, { signal }) =>
        new Promise((_, reject) => {
          started.resolve();
          signal.addEventListener('abort', () => reject((seen = signal.reason)));
        }),
    });
    const next = task({ id: 'next', dependencies: [long], run: () => {} });
    const runner = await start(dal, { workflows: [workflow({ name: 'w', tasks: [long, next] })] });
    const events = record(runner);
    const handle = await runner.executeAsync('w');
    await started.promise;
    expect(await handle.status()).toBe('Running');
    expect(await handle.cancel()).toBe(true);
    const result = await handle.wait();
    expect(result.status).toBe('Cancelled');
    expect(seen).toBeInstanceOf(PipelineCancelledError);
    expect(result.taskResults.map((t) => [t.status, t.errorMessage])).toEqual([
      ['Failed', 'CANCELLED: Pipeline cancelled'],
      ['Skipped', 'Pipeline cancelled'],
    ]);
    expect(await runner.cancelExecution(handle.executionId)).toBe(false);
    await expect(handle.wait({ timeoutMs: -1 })).rejects.toThrow(ValidationError);
    expect(events).toEqual(['taskStarted:long#1', 'pipelineCancelled']);
  });

  it('refuses an unknown workflow and a bad input without writing anything', async () => {
    const dal = createMemoryDal();
    const runner = await start(dal, { workflows: [workflow({ name: 'w', tasks: [task({ id: 'a', run: () => {} })] })] });
    await expect(runner.execute('nope')).rejects.toThrow(WorkflowNotFoundError);
    await expect(runner.execute('nope')).rejects.toThrow('Workflow not found in registry: nope');
    await expect(runner.execute('w', [1] as never)).rejects.toThrow(ValidationError);
    await expect(runner.execute('w', { f: () => 1 } as never)).rejects.toThrow(ValidationError);
    expect(dal.state.runs.size).toBe(0);
    expect(dal.state.events).toEqual([]);
  });

  it('stops waiting on timeout (carrying the id) or abort, while the run continues', async () => {
    const dal = createMemoryDal();
    const release = deferred<void>();
    const gated = task({ id: 'gated', run: () => release.promise });
    const runner = await start(dal, { workflows: [workflow({ name: 'w', tasks: [gated] })] });
    const err = await runner.execute('w', {}, { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineTimeoutError);
    expect((err as PipelineTimeoutError).message).toBe('Pipeline timeout after 0.02s');
    const id = (err as PipelineTimeoutError).executionId;
    expect(await runner.getExecutionStatus(id)).toBe('Running');

    const controller = new AbortController();
    const waiting = runner.execute('w', {}, { signal: controller.signal });
    controller.abort(new Error('user gave up'));
    await expect(waiting).rejects.toThrow('user gave up');
    await expect(runner.execute('w', {}, { signal: controller.signal })).rejects.toThrow('user gave up');

    release.resolve();
    await vi.waitFor(async () => expect(await runner.getExecutionStatus(id)).toBe('Completed'));
    expect(dal.state.runs.size).toBe(2); // the pre-aborted call started nothing
    await expect(runner.execute('w', {}, { timeoutMs: 0 })).rejects.toThrow('timeoutMs must be a whole number of milliseconds');
  });

  it('reports each observed status through executeWithCallback', async () => {
    const dal = createMemoryDal();
    const gate = deferred<void>();
    const runner = await start(dal, { workflows: [workflow({ name: 'w', tasks: [task({ id: 'a', run: () => gate.promise })] })] });
    const statuses: PipelineStatus[] = [];
    const done = runner.executeWithCallback('w', {}, (s) => {
      statuses.push(s);
      if (s === 'Running') gate.resolve();
    });
    const result = await done;
    expect(result.status).toBe('Completed');
    expect(statuses).toEqual(['Pending', 'Running', 'Completed']);
  });

  it('exposes results, status and history; NotFoundError for unknown ids', async () => {
    const dal = createMemoryDal();
    const runner = await start(dal, { workflows: [{ name: 'w', tasks: [{ id: 'a', run: () => ({ ok: true }) }] }] });
    const first = await runner.execute('w', { i: 1 });
    const second = await runner.execute('w', { i: 2 });
    const listed = await runner.listExecutions();
    expect(listed.map((r) => r.executionId)).toEqual([second.executionId, first.executionId]);
    expect((await runner.listExecutions({ limit: 1 })).length).toBe(1);
    expect((await runner.getExecutionResult(first.executionId)).finalContext.toJSON()).toEqual({ ok: true });
    const missing = '0193a5e2-7c3a-7b1e-9f00-3a5c1d2e4f60';
    await expect(runner.getExecutionStatus(missing)).rejects.toThrow(NotFoundError);
    await expect(runner.getExecutionResult(missing)).rejects.toThrow(NotFoundError);
  });

  it('rejects an invalid workflow at registration with its message', async () => {
    const runner = await start(createMemoryDal());
    expect(() =>
      runner.registerWorkflow({ name: 'bad', tasks: [{ id: 'a', dependencies: ['ghost'], run: () => {} }] }),
    ).toThrow("Missing dependency: task 'public::embedded::bad::a' depends on 'public::embedded::bad::ghost' which is not registered");
    expect(runner.getWorkflow('bad')).toBeUndefined();
    expect(runner.listWorkflows()).toEqual([]);
  });

  it('claims waiting tasks as soon as their workflow is registered, and only then', async () => {
    const dal = createMemoryDal();
    const wf = workflow({ name: 'late', tasks: [task({ id: 'a', run: () => {} })] });
    const producer = await start(dal, { workflows: [wf], enableExecutor: false });
    const worker = await start(dal, { enableScheduler: false });
    const handle = await producer.executeAsync('late');
    await new Promise((r) => setTimeout(r, 50));
    expect(await handle.status()).toBe('Pending');
    worker.registerWorkflow(wf);
    expect((await handle.wait()).status).toBe('Completed');
    expect(worker.unregisterWorkflow('late')).toBe(true);
    expect(worker.listWorkflows()).toEqual([]);
  });

  it('fails a claimed task whose definition this runner does not have', async () => {
    const dal = createMemoryDal();
    const producer = await start(dal, { workflows: [workflow({ name: 'w', tasks: [task({ id: 'x', run: () => {} })] })], enableExecutor: false });
    await start(dal, { workflows: [workflow({ name: 'w', tasks: [task({ id: 'y', run: () => {} })] })], enableScheduler: false });
    const result = await producer.execute('w');
    expect(result.taskResults[0]).toMatchObject({ status: 'Failed', errorMessage: 'Task not found in registry: public::embedded::w::x' });
  });

  it('hands a task back, attempt not consumed, when its input cannot be loaded', async () => {
    const dal = createMemoryDal();
    const runner = await start(dal, { workflows: [workflow({ name: 'w', tasks: [task({ id: 'a', run: () => ({ ok: 1 }) })] })] });
    dal.failNext('taskExecution.buildInputContext', new Error('disk on fire'), 2);
    const result = await runner.execute('w');
    expect(result.status).toBe('Completed');
    expect(result.taskResults[0]?.attemptCount).toBe(1);
    expect(dal.state.events.filter((e) => e.eventType === 'task_released')).toHaveLength(2);
  });

  it('retries transient database errors when recording an outcome', async () => {
    const dal = createMemoryDal();
    dal.failNext('taskExecution.completeWithOutput', transientDbError(), 2);
    const runner = await start(dal, { workflows: [workflow({ name: 'w', tasks: [task({ id: 'a', run: () => ({ v: 1 }) })] })] });
    const result = await runner.execute('w');
    expect(result.status).toBe('Completed');
    expect(result.finalContext.toJSON()).toEqual({ v: 1 });
  });

  it('aborts an attempt whose lease was lost and records nothing for it', async () => {
    const dal = createMemoryDal();
    const aborted = deferred<unknown>();
    const started = deferred<string>();
    const t = task({
      id: 'a',
      run: (_c, { signal, taskExecutionId }) =>
        new Promise(() => {
          started.resolve(taskExecutionId);
          signal.addEventListener('abort', () => aborted.resolve(signal.reason));
        }),
    });
    const runner = await start(dal, { workflows: [workflow({ name: 'w', tasks: [t] })], heartbeatIntervalMs: 20, staleClaimThresholdMs: 60_000 });
    await runner.executeAsync('w');
    const id = await started.promise;
    Object.assign(dal.state.tasks.get(id) as object, { claimedBy: 'someone-else' });
    const reason = await aborted.promise;
    expect((reason as Error).name).toBe('ClaimLostError');
    expect((reason as Error).message).toBe(`Claim lost on task execution ${id}: held by someone-else, status Running`);
    expect(dal.state.tasks.get(id)).toMatchObject({ status: 'Running', claimedBy: 'someone-else' });
  });

  it('shares work between two runners on one database, each task once', async () => {
    const dal = createMemoryDal();
    const runs = new Map<string, number>();
    const tasks = Array.from({ length: 12 }, (_, i) =>
      task({ id: `t${i}`, run: async (_c, info) => void runs.set(info.taskExecutionId, (runs.get(info.taskExecutionId) ?? 0) + 1) }),
    );
    const wf = workflow({ name: 'wide', tasks });
    const one = await start(dal, { workflows: [wf], maxConcurrentTasks: 2 });
    await start(dal, { workflows: [wf], maxConcurrentTasks: 2 });
    const results = await Promise.all([one.execute('wide'), one.execute('wide')]);
    expect(results.map((r) => r.status)).toEqual(['Completed', 'Completed']);
    expect(runs.size).toBe(24);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });

  it('shuts down gracefully: waits for running attempts, then refuses new calls', async () => {
    const dal = createMemoryDal();
    const gate = deferred<void>();
    const started = deferred<void>();
    const t = task({ id: 'a', run: async () => (started.resolve(), gate.promise) });
    const runner = await DefaultRunner.create({ dal, logger: consoleLogger('silent'), workflows: [workflow({ name: 'w', tasks: [t] })] });
    const handle = await runner.executeAsync('w');
    await started.promise;
    const stopping = runner.shutdown();
    expect(runner.shutdown()).toBe(stopping); // idempotent
    setTimeout(() => gate.resolve(), 20);
    await stopping;
    expect(dal.state.tasks.values().next().value).toMatchObject({ status: 'Completed', attempt: 1 });
    await expect(runner.execute('w')).rejects.toThrow('Runner is shut down');
    await expect(runner.getExecutionStatus(handle.executionId)).rejects.toThrow(RunnerShutdownError);
    expect(() => runner.registerWorkflow(workflow({ name: 'x', tasks: [t] }))).toThrow(RunnerShutdownError);
    expect(dal.closed).toBe(false); // a DAL instance given by the caller stays open
  });

  it('hands back attempts that outlive shutdownTimeoutMs, attempt not consumed', async () => {
    const dal = createMemoryDal();
    const started = deferred<void>();
    let reason: unknown;
    const t = task({
      id: 'a',
      run: (_c, { signal }) => new Promise(() => (started.resolve(), signal.addEventListener('abort', () => (reason = signal.reason)))),
    });
    const runner = await DefaultRunner.create({ dal, logger: consoleLogger('silent'), shutdownTimeoutMs: 30, workflows: [workflow({ name: 'w', tasks: [t] })] });
    const handle = await runner.executeAsync('w');
    const waiting = handle.wait();
    await started.promise;
    await runner.shutdown();
    expect(reason).toBeInstanceOf(RunnerShutdownError);
    await expect(waiting).rejects.toThrow(RunnerShutdownError);
    expect(dal.state.tasks.values().next().value).toMatchObject({ status: 'Ready', attempt: 1, claimedBy: null });
    expect(dal.state.events.map((e) => e.eventType)).toContain('task_released');
  });

  it('rejects start-up failures with the cause and leaves nothing running', async () => {
    const dal = createMemoryDal();
    const cause = transientDbError();
    dal.failNext('taskExecution.findClaimsByRunner', cause);
    await expect(DefaultRunner.create({ dal, logger: consoleLogger('silent') })).rejects.toBe(cause);
    const wf = workflow({ name: 'dup', tasks: [task({ id: 'a', run: () => {} })] });
    await expect(DefaultRunner.create({ dal, workflows: [wf, wf] })).rejects.toThrow(ConfigurationError);
  });

  it('logs when a workflow version changes between runs', async () => {
    const dal = createMemoryDal();
    const infos: string[] = [];
    const logger = { ...consoleLogger('silent'), info: (m: string) => void infos.push(m) };
    const v1 = workflow({ name: 'w', tasks: [task({ id: 'a', run: () => ({ v: 1 }) })] });
    const v2 = workflow({ name: 'w', tasks: [task({ id: 'a', run: () => ({ v: 2 }) })] });
    const runner = await start(dal, { workflows: [v1], logger });
    await runner.execute('w');
    runner.registerWorkflow(v2);
    await runner.execute('w');
    expect(infos).toContain(`Workflow 'w' changed: version ${v1.version} -> ${v2.version}`);
  });
});
