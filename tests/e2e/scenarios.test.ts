/** Workflow shapes end to end: single task, chain, diamond, fan-out/fan-in with array-union merge. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Context, task, workflow } from '@cloacina/runner';
import { combos, eventTypesByTask, taskSummary, TestEnv } from './harness.js';

describe.each(combos())('workflow shapes on $name', (combo) => {
  let env: TestEnv;
  beforeEach(() => {
    env = new TestEnv(combo.backend);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('runs a single task and returns its output as the final context', async () => {
    const hello = task({ id: 'hello_world', run: (ctx) => ctx.set('message', `Hello, ${ctx.get<string>('name') ?? 'world'}!`) });
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'hello', tasks: [hello] })] });
    const result = await runner.execute('hello', { name: 'Cloacina' });
    expect(result.status).toBe('Completed');
    expect(result.workflowName).toBe('hello');
    expect(result.workflowVersion).toBe(runner.getWorkflow('hello')?.version);
    expect(result.inputContext.toJSON()).toEqual({ name: 'Cloacina' });
    expect(result.finalContext.toJSON()).toEqual({ name: 'Cloacina', message: 'Hello, Cloacina!' });
    expect(result.errorMessage).toBeNull();
    expect(result.endTime).toBeInstanceOf(Date);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(taskSummary(result)).toEqual([['hello_world', 'Completed', 1]]);
    expect(result.taskResults[0]).toMatchObject({ taskName: 'public::embedded::hello::hello_world', errorMessage: null });
    expect(await runner.getExecutionStatus(result.executionId)).toBe('Completed');
  });

  it('runs a chain, each task seeing its predecessor output', async () => {
    const extract = task({ id: 'extract_numbers', run: () => ({ numbers: [1, 2, 3, 4] }) });
    const transform = task({
      id: 'transform_numbers',
      dependencies: [extract],
      run: (ctx) => ctx.set('squares', ctx.get<number[]>('numbers')!.map((n) => n * n)),
    });
    const load = task({
      id: 'load_numbers',
      dependencies: [transform],
      run: (ctx) => new Context({ ...ctx.toJSON(), total: ctx.get<number[]>('squares')!.reduce((a, b) => a + b, 0) }),
    });
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'etl', tasks: [extract, transform, load] })] });
    const result = await runner.execute('etl');
    expect(result.status).toBe('Completed');
    expect(result.finalContext.toJSON()).toEqual({ numbers: [1, 2, 3, 4], squares: [1, 4, 9, 16], total: 30 });
    expect(taskSummary(result)).toEqual([
      ['extract_numbers', 'Completed', 1],
      ['transform_numbers', 'Completed', 1],
      ['load_numbers', 'Completed', 1],
    ]);
  });

  it('runs a diamond, keeping start before left/right before end', async () => {
    const step = (id: string, dependencies: string[] = []) =>
      task({ id, dependencies, run: (ctx) => ctx.set('execution_order', [...(ctx.get<string[]>('execution_order') ?? []), id]) });
    const wf = workflow({ name: 'diamond', tasks: [step('start'), step('left', ['start']), step('right', ['start']), step('end', ['left', 'right'])] });
    const runner = await env.runner(combo.dal, { workflows: [wf] });
    const result = await runner.execute('diamond');
    expect(result.status).toBe('Completed');
    expect(result.finalContext.get('execution_order')).toEqual(['start', 'left', 'right', 'end']);
    expect(taskSummary(result).map(([id]) => id)).toEqual(['start', 'left', 'right', 'end']);
  });

  it('fans out to parallel tasks and fans in with an array-union merge', async () => {
    // A barrier the three workers can only pass together: proof that they run in parallel.
    let arrived = 0;
    const barrier = async () => {
      arrived++;
      for (let i = 0; i < 1000 && arrived < 3; i++) await new Promise((r) => setTimeout(r, 10));
      return arrived >= 3;
    };
    const generate = task({ id: 'generate', run: () => ({ fanin_sources: [], batch: { size: 3 } }) });
    const worker = (id: string) =>
      task({
        id,
        dependencies: [generate],
        run: async (ctx) => {
          if (!(await barrier())) throw new Error(`${id} never met the other workers`);
          ctx.set('fanin_sources', [...ctx.get<string[]>('fanin_sources')!, id]);
          ctx.set('batch', { ...ctx.get<Record<string, number>>('batch')!, [id]: 1 });
        },
      });
    const combine = task({
      id: 'combine',
      dependencies: ['p1', 'p2', 'p3'],
      run: (ctx) => ctx.set('count', ctx.get<string[]>('fanin_sources')!.length),
    });
    const wf = workflow({ name: 'fan', tasks: [generate, worker('p1'), worker('p2'), worker('p3'), combine] });
    const runner = await env.runner(combo.dal, { workflows: [wf], maxConcurrentTasks: 4 });
    const result = await runner.execute('fan');
    expect(result.status).toBe('Completed');
    expect(result.finalContext.toJSON()).toEqual({
      fanin_sources: ['p1', 'p2', 'p3'],
      batch: { size: 3, p1: 1, p2: 1, p3: 1 },
      count: 3,
    });
    expect(taskSummary(result).every(([, status, attempts]) => status === 'Completed' && attempts === 1)).toBe(true);
  });

  it('writes one execution event per transition', async () => {
    const a = task({ id: 'a', run: () => ({ a: 1 }) });
    const b = task({ id: 'b', dependencies: [a], run: () => {} });
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'events', tasks: [a, b] })] });
    const result = await runner.execute('events');
    expect(await eventTypesByTask(runner.dal, result)).toEqual({
      run: ['pipeline_created', 'pipeline_started', 'pipeline_completed'],
      a: ['task_ready', 'task_claimed', 'task_completed'],
      b: ['task_ready', 'task_claimed', 'task_completed'],
    });
    const events = await runner.dal.executionEvent.getByPipeline(result.executionId);
    const claimed = events.filter((e) => e.eventType === 'task_claimed');
    expect(claimed.every((e) => e.runnerId === runner.runnerId)).toBe(true);
    expect(events.find((e) => e.eventType === 'pipeline_created')?.eventData).toMatchObject({ pipeline_name: 'events', task_count: 2 });
  });
});
