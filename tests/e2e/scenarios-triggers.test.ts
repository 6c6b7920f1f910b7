/** Trigger rules end to end (03 §5): success paths, failure fallbacks, context thresholds, skip propagation. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskError, task, trigger, workflow } from '@cloacina/runner';
import { combos, eventTypesByTask, taskSummary, TestEnv } from './harness.js';

const ns = (wf: string, id: string) => `public::embedded::${wf}::${id}`;
const noRetry = { maxAttempts: 1 } as const;

describe.each(combos())('trigger rules on $name', (combo) => {
  let env: TestEnv;
  beforeEach(() => {
    env = new TestEnv(combo.backend);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('runs a fallback only when its upstream failed, and a join either way', async () => {
    const build = (fetchFails: boolean) => {
      const fetch = task({
        id: 'fetch_data',
        retry: noRetry,
        run: () => {
          if (fetchFails) throw new TaskError('upstream API unavailable', { transient: false });
          return { source: 'api' };
        },
      });
      const fallback = task({ id: 'use_cache', dependencies: [fetch], trigger: trigger.taskFailed('fetch_data'), run: () => ({ source: 'cache' }) });
      const join = task({
        id: 'process',
        dependencies: [fetch, fallback],
        trigger: trigger.any(trigger.taskSuccess('fetch_data'), trigger.taskSuccess('use_cache')),
        run: (ctx) => ctx.set('processed', ctx.get('source') ?? null),
      });
      return workflow({ name: fetchFails ? 'fallback_failing' : 'fallback_ok', tasks: [fetch, fallback, join] });
    };
    const runner = await env.runner(combo.dal, { workflows: [build(false), build(true)] });

    const ok = await runner.execute('fallback_ok');
    expect(ok.status).toBe('Completed');
    expect(taskSummary(ok)).toEqual([
      ['fetch_data', 'Completed', 1],
      ['use_cache', 'Skipped', 1],
      ['process', 'Completed', 1],
    ]);
    expect(ok.taskResults[1]?.errorMessage).toBe(
      `Trigger rules not satisfied: upstream task '${ns('fallback_ok', 'fetch_data')}' is Completed, not Failed`,
    );
    expect(ok.finalContext.toJSON()).toEqual({ source: 'api', processed: 'api' });

    const failing = await runner.execute('fallback_failing');
    // A task failed, so the run is Failed even though the fallback rescued the data.
    expect(failing.status).toBe('Failed');
    expect(failing.errorMessage).toBe('1 task(s) failed, 2 completed, 0 skipped');
    expect(taskSummary(failing)).toEqual([
      ['fetch_data', 'Failed', 1],
      ['use_cache', 'Completed', 1],
      ['process', 'Completed', 1],
    ]);
    expect(failing.taskResults[0]?.errorMessage).toBe('upstream API unavailable');
    expect(failing.finalContext.toJSON()).toEqual({ source: 'cache', processed: 'cache' });
  });

  it('picks branches by context thresholds, with the exact skip reasons', async () => {
    const score = task({ id: 'score', run: (ctx) => ctx.set('score', ctx.get<number>('input')!) });
    const high = task({ id: 'high', dependencies: [score], trigger: trigger.all(trigger.taskSuccess('score'), trigger.contextValue('score', 'GreaterThan', 80)), run: () => ({ tier: 'high' }) });
    const low = task({ id: 'low', dependencies: [score], trigger: trigger.contextValue('score', 'LessThan', 50), run: () => ({ tier: 'low' }) });
    const tagged = task({ id: 'tagged', dependencies: [score], trigger: trigger.contextValue('tags', 'Contains', 'vip'), run: () => ({ vip: true }) });
    const absent = task({ id: 'no_flag', dependencies: [score], trigger: trigger.contextValue('flag', 'NotExists'), run: () => ({ flagless: true }) });
    const runner = await env.runner(combo.dal, { workflows: [workflow({ name: 'branches', tasks: [score, high, low, tagged, absent] })] });

    const result = await runner.execute('branches', { input: 91, tags: ['new', 'vip'] });
    expect(result.status).toBe('Completed');
    expect(taskSummary(result)).toEqual([
      ['score', 'Completed', 1],
      ['high', 'Completed', 1],
      ['low', 'Skipped', 1],
      ['tagged', 'Completed', 1],
      ['no_flag', 'Completed', 1],
    ]);
    expect(result.taskResults[2]?.errorMessage).toBe("Trigger rules not satisfied: context 'score' LessThan 50 (actual: 91)");
    expect(result.finalContext.toJSON()).toEqual({ tier: 'high', vip: true, flagless: true });

    const mid = await runner.execute('branches', { input: 60 });
    expect(taskSummary(mid).map(([id, status]) => [id, status])).toEqual([
      ['score', 'Completed'],
      ['high', 'Skipped'],
      ['low', 'Skipped'],
      ['tagged', 'Skipped'],
      ['no_flag', 'Completed'],
    ]);
    expect(mid.taskResults.map((t) => t.errorMessage)).toEqual([
      null,
      "Trigger rules not satisfied: context 'score' GreaterThan 80 (actual: 60)",
      "Trigger rules not satisfied: context 'score' LessThan 50 (actual: 60)",
      `Trigger rules not satisfied: context 'tags' Contains "vip" (actual: absent)`,
      null,
    ]);
  });

  it('propagates skips down the graph, and None/Any rules report their reason', async () => {
    const root = task({ id: 'root', retry: noRetry, run: () => Promise.reject(new Error('root broke')) });
    const child = task({ id: 'child', dependencies: [root], run: () => {} });
    const grandchild = task({ id: 'grandchild', dependencies: [child], run: () => {} });
    const none = task({ id: 'only_if_not_failed', dependencies: [root], trigger: trigger.none(trigger.taskFailed('root')), run: () => {} });
    const any = task({ id: 'any_success', dependencies: [child, none], trigger: trigger.any(trigger.taskSuccess('child'), trigger.taskSuccess('only_if_not_failed')), run: () => {} });
    const always = task({ id: 'cleanup', dependencies: [grandchild, any], trigger: trigger.always(), run: () => ({ cleaned: true }) });
    const wf = workflow({ name: 'skips', tasks: [root, child, grandchild, none, any, always] });
    const runner = await env.runner(combo.dal, { workflows: [wf] });
    const skipped: string[] = [];
    runner.on('taskSkipped', (e) => skipped.push(`${e.taskId}: ${e.reason}`));

    const result = await runner.execute('skips');
    expect(result.status).toBe('Failed');
    expect(result.errorMessage).toBe('1 task(s) failed, 1 completed, 4 skipped');
    const reasons = Object.fromEntries(result.taskResults.map((t) => [t.taskId, [t.status, t.errorMessage]]));
    expect(reasons).toEqual({
      root: ['Failed', 'root broke'],
      child: ['Skipped', `Trigger rules not satisfied: upstream task '${ns('skips', 'root')}' is Failed, not Completed`],
      grandchild: ['Skipped', `Trigger rules not satisfied: upstream task '${ns('skips', 'child')}' is Skipped, not Completed`],
      only_if_not_failed: ['Skipped', `Trigger rules not satisfied: unexpectedly satisfied: upstream task '${ns('skips', 'root')}' is Failed`],
      any_success: [
        'Skipped',
        `Trigger rules not satisfied: none of: upstream task '${ns('skips', 'child')}' is Skipped, not Completed; upstream task '${ns('skips', 'only_if_not_failed')}' is Skipped, not Completed`,
      ],
      cleanup: ['Completed', null],
    });
    expect(skipped).toHaveLength(4);
    expect(skipped).toContain(`grandchild: ${reasons.grandchild![1]}`);
    expect(result.finalContext.toJSON()).toEqual({ cleaned: true });
    const events = await eventTypesByTask(runner.dal, result);
    expect(events.grandchild).toEqual(['task_skipped']);
    expect(events.cleanup).toEqual(['task_ready', 'task_claimed', 'task_completed']);
  });
});
