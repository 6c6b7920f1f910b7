/** The runner API end to end: validation that writes nothing, handles and callbacks, waits and timeouts. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  CyclicDependencyError,
  DefaultRunner,
  PipelineTimeoutError,
  RunnerShutdownError,
  ValidationError,
  WorkflowNotFoundError,
  task,
  trigger,
  workflow,
  type PipelineStatus,
} from '@cloacina/runner';
import { combos, deferred, TestEnv } from './harness.js';

describe.each(combos())('runner API on $name', (combo) => {
  let env: TestEnv;
  beforeEach(() => {
    env = new TestEnv(combo.backend);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('refuses an unknown workflow or a bad input and writes nothing', async () => {
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'known', tasks: [task({ id: 'a', run: () => {} })] })] });
    const err = await runner.execute('unknown', { a: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
    expect((err as Error).message).toBe('Workflow not found in registry: unknown');
    await expect(runner.executeAsync('unknown')).rejects.toThrow(WorkflowNotFoundError);
    await expect(runner.execute('known', 'not an object' as never)).rejects.toThrow(ValidationError);
    expect(await runner.dal.pipelineExecution.listRecent(10)).toEqual([]);
    expect(await runner.dal.context.list(10, 0)).toEqual([]);
    expect(await runner.listExecutions()).toEqual([]);
  });

  it('rejects cyclic and invalid workflows at registration with their messages', async () => {
    const runner = await env.runner(combo.dal);
    const cyclic = {
      name: 'cyclic',
      tasks: [
        { id: 'a', dependencies: ['c'], run: () => {} },
        { id: 'b', dependencies: ['a'], run: () => {} },
        { id: 'c', dependencies: ['b'], run: () => {} },
      ],
    };
    expect(() => runner.registerWorkflow(cyclic)).toThrow(CyclicDependencyError);
    expect(() => runner.registerWorkflow(cyclic)).toThrow(
      'Circular dependency detected: public::embedded::cyclic::a -> public::embedded::cyclic::c -> public::embedded::cyclic::b -> public::embedded::cyclic::a',
    );
    expect(() => runner.registerWorkflow({ name: 'self', tasks: [{ id: 'me', dependencies: ['me'], run: () => {} }] })).toThrow(
      'Circular dependency detected: public::embedded::self::me -> public::embedded::self::me',
    );
    expect(() =>
      runner.registerWorkflow({
        name: 'bad_rule',
        tasks: [
          { id: 'a', run: () => {} },
          { id: 'b', run: () => {} },
          { id: 'c', dependencies: ['a'], trigger: trigger.taskSuccess('b'), run: () => {} },
        ],
      }),
    ).toThrow("Invalid trigger rule for task 'public::embedded::bad_rule::c': 'public::embedded::bad_rule::b' is not a (transitive) dependency");
    expect(() => runner.registerWorkflow({ name: 'dupes', tasks: [{ id: 'x', run: () => {} }, { id: 'x', run: () => {} }] })).toThrow(
      'Duplicate task: public::embedded::dupes::x',
    );
    expect(() => runner.registerWorkflow({ name: 'empty', tasks: [] })).toThrow('Workflow cannot be empty');
    expect(() => runner.registerWorkflow({ name: 'bad name!', tasks: [{ id: 'x', run: () => {} }] })).toThrow(/^Invalid workflow name 'bad name!'/);
    expect(runner.listWorkflows()).toEqual([]);
    // The same checks guard the `workflows` option, before any connection is made.
    await expect(DefaultRunner.create({ databaseUrl: env.url, schema: env.schema, workflows: [cyclic] })).rejects.toThrow(CyclicDependencyError);
  });

  it('reports statuses through executeWithCallback and handles', async () => {
    const gate = deferred();
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'gated', tasks: [task({ id: 'wait', run: () => gate.promise.then(() => ({ done: true })) })] })] });
    const statuses: PipelineStatus[] = [];
    const result = await runner.executeWithCallback('gated', { x: 1 }, (s) => {
      statuses.push(s);
      if (s === 'Running') gate.resolve();
    });
    expect(result.status).toBe('Completed');
    expect(statuses).toEqual(['Pending', 'Running', 'Completed']);

    const handle = await runner.executeAsync('gated');
    expect(handle.workflowName).toBe('gated');
    const waited = await handle.wait();
    expect(waited.finalContext.toJSON()).toEqual({ done: true });
    expect((await handle.result()).status).toBe('Completed');
    const [latest] = await runner.listExecutions({ limit: 1 });
    expect(latest?.executionId).toBe(handle.executionId);
  });

  it('gives up waiting with PipelineTimeoutError while the run goes on', async () => {
    const gate = deferred();
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'slow', tasks: [task({ id: 'wait', run: () => gate.promise })] })] });
    const err = await runner.execute('slow', {}, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineTimeoutError);
    expect((err as Error).message).toBe('Pipeline timeout after 0.1s');
    const id = (err as PipelineTimeoutError).executionId;
    gate.resolve();
    const handle = await runner.getExecutionResult(id);
    expect(['Pending', 'Running', 'Completed']).toContain(handle.status);
    const done = await runner.executeAsync('slow');
    expect((await done.wait()).status).toBe('Completed');
  });

  it('rejects every call after shutdown', async () => {
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'w', tasks: [task({ id: 'a', run: () => {} })] })] });
    await runner.shutdown();
    await runner.shutdown();
    await expect(runner.execute('w')).rejects.toThrow(RunnerShutdownError);
    await expect(runner.listExecutions()).rejects.toThrow('Runner is shut down');
  });

  it('refuses a schema with SQLite and a malformed schema name', async () => {
    if (combo.backend === 'sqlite') {
      await expect(DefaultRunner.create({ databaseUrl: env.url, schema: 'tenant_a' })).rejects.toThrow(ConfigurationError);
    } else {
      await expect(DefaultRunner.create({ databaseUrl: env.url, schema: 'pg_bad' })).rejects.toThrow(ValidationError);
    }
  });
});
