/**
 * Self-test of the comparison harness: it must catch a difference. A real DAL is compared with
 * a Proxy around the same implementation that deviates in one observable way; the property
 * must fail, fast-check must shrink the scenario to the minimal sequence, and the report must
 * name the step, the method and the differing value, error or dump cell (02 §10.5).
 */
import { isPlainObject, ValidationError, type Dal, type Signal } from '@cloacina/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenario } from '../support/comparison-arbitraries.js';
import { checkComparison, openPair, type PairSides } from '../support/comparison-property.js';
import { selectedCombos, type DalCombo } from '../support/dal-combos.js';
import type { ComparisonPair } from '../support/comparison-sides.js';
import type { Step } from '../support/comparison-steps.js';
import { crossRead } from '../support/comparison-crossread.js';
import { checkInvariants } from '../support/comparison-invariants.js';
import { resetSide } from '../support/comparison-sides.js';
import { createRun, s, T } from './scenarios-state-machines.js';

type AnyFn = (...a: unknown[]) => Promise<unknown>;

/** Wraps one method of one module, on the root DAL and on every transaction-bound DAL. */
function deviate(moduleName: string, method: string, change: (original: AnyFn, args: unknown[]) => Promise<unknown>): (dal: Dal) => Dal {
  const wrap = (dal: Dal): Dal =>
    new Proxy(dal, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'transaction') return <R,>(fn: (tx: Dal) => Promise<R>) => target.transaction((tx) => fn(wrap(tx)));
        if (prop !== moduleName) return typeof value === 'function' ? (value as AnyFn).bind(target) : value;
        const mod = value as Record<string, unknown>;
        return new Proxy(mod, {
          get(m, p) {
            const fn = Reflect.get(m, p) as unknown;
            if (typeof fn !== 'function') return fn;
            const bound = (fn as AnyFn).bind(m);
            return p === method ? (...args: unknown[]) => change(bound, args) : bound;
          },
        });
      },
    });
  return wrap;
}

/** Drops every signal of one type, as a DAL that forgot to publish it would. */
function dropSignals(type: string): (dal: Dal) => Dal {
  return (dal) =>
    new Proxy(dal, {
      get(target, prop, receiver) {
        if (prop === 'signals') return { subscribe: (l: (s: Signal) => void) => target.signals.subscribe((s) => s.type !== type && l(s)) };
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as AnyFn).bind(target) : value;
      },
    });
}

const combo: DalCombo | undefined = selectedCombos()[0];
const SEED = 20251123;

describe.skipIf(!combo)(`harness self-test on ${combo?.name}`, () => {
  const pair: ComparisonPair = { name: `self-test ${combo?.name} vs deviating proxy`, a: combo!, b: combo!, sameBackend: true };

  async function shrunkFailure(wrapB: (dal: Dal) => Dal, methods: string[]): Promise<{ steps: Step[]; message: string }> {
    let sides: PairSides | undefined;
    try {
      sides = await openPair(pair, wrapB);
      const arb = scenario({ maxLength: 12, methods, transactions: false, clock: false });
      const failure = await checkComparison({ pair, source: { kind: 'reused', sides: () => sides! } }, arb, { seed: SEED, numRuns: 300 });
      expect(failure, 'the harness must detect the deviation').not.toBeNull();
      console.log(`--- self-test (${methods.join(', ')}) ---\n${failure!.report}`);
      return { steps: failure!.steps, message: failure!.report };
    } finally {
      await sides?.close();
    }
  }

  let dummy: PairSides | undefined;
  beforeAll(async () => {
    // Fail fast (with the DAL's own error) if the combo cannot even open and migrate.
    dummy = await openPair(pair);
  });
  afterAll(async () => dummy?.close());

  it('catches a list returned in the wrong order (getAllTasksForPipeline reversed)', { timeout: 300_000 }, async () => {
    const reversed = deviate('taskExecution', 'getAllTasksForPipeline', async (orig, args) => ((await orig(...args)) as unknown[]).slice().reverse());
    const { steps, message } = await shrunkFailure(reversed, ['pipelineExecution.createWithTasks', 'taskExecution.markReady', 'taskExecution.getAllTasksForPipeline']);
    expect(steps.map((s) => s.method)).toEqual(['pipelineExecution.createWithTasks', 'taskExecution.getAllTasksForPipeline']);
    expect((steps[0] as unknown as { args: [{ tasks: unknown[] }] }).args[0].tasks).toHaveLength(2);
    expect(message).toContain('difference at step 1: taskExecution.getAllTasksForPipeline');
    expect(message).toMatch(/outcome differs at value\[0\]\.\w+/);
  });

  it('catches a different error class (NotFoundError from taskExecution.getById turned into ValidationError)', { timeout: 300_000 }, async () => {
    const relabelled = deviate('taskExecution', 'getById', async (orig, args) => {
      try {
        return await orig(...args);
      } catch (err) {
        if ((err as { code?: string }).code === 'NOT_FOUND') throw new ValidationError((err as Error).message);
        throw err;
      }
    });
    const { steps, message } = await shrunkFailure(relabelled, ['pipelineExecution.createWithTasks', 'taskExecution.getById']);
    // One step: getById of a task ref that resolves to the well-formed unknown id (02 §1 NotFound).
    expect(steps.map((s) => s.method)).toEqual(['taskExecution.getById']);
    expect(message).toContain('difference at step 0: taskExecution.getById');
    expect(message).toMatch(/outcome differs at error\.class: A="NotFoundError" B="ValidationError"/);
  });

  it('catches a missing signal (task_ready never published)', { timeout: 300_000 }, async () => {
    const { steps, message } = await shrunkFailure(dropSignals('task_ready'), ['pipelineExecution.createWithTasks', 'taskExecution.markReady', 'taskExecution.getAllTasksForPipeline']);
    expect(steps.map((s) => s.method)).toEqual(['pipelineExecution.createWithTasks', 'taskExecution.markReady']);
    expect(message).toContain('difference at step 1: taskExecution.markReady');
    expect(message).toMatch(/signals differ at \.length: A=1 B=0 \(first extra element \["task_ready",/);
  });

  it('catches a second implementation that reads an existing database differently (cross-reading)', { timeout: 300_000 }, async () => {
    const reversing = deviate('taskExecution', 'getAllTasksForPipeline', async (orig, args) => ((await orig(...args)) as unknown[]).slice().reverse());
    const second: DalCombo = { ...combo!, name: `${combo!.name} (reversing)`, create: async (o) => reversing(await combo!.create(o)) };
    const steps: Step[] = [createRun(), s('taskExecution.markReady', T(0))];
    const { failure } = await crossRead(combo!, second, steps, 1);
    console.log(`--- self-test (cross-reading) ---\n${failure}`);
    expect(failure).toContain('at the hand-over: B reads differently from A');
    expect(failure).toMatch(/taskExecution\.getAllTasksForPipeline\(\{"ref":"pipeline","index":0\}\)/);
  });

  it('the 01 §11 invariant checker catches a history that does not replay (a deleted task_claimed event)', async () => {
    const { a } = dummy!;
    await resetSide(a);
    const created = await a.dal.pipelineExecution.createWithTasks({ pipelineName: 'wf-a', pipelineVersion: '1.0', inputContext: {}, tasks: [{ taskName: 't', maxAttempts: 1, triggerRules: {}, taskConfiguration: {} }] });
    const task = created.tasks[0]!.id;
    await a.dal.taskExecution.markReady(task);
    await a.dal.taskExecution.claimReadyTasks('runner-a', 1);
    await a.dal.taskExecution.markCompleted(task, 'runner-a');
    // ids: pipeline 1, task 2, events: pipeline_created 3, task_ready 4, task_claimed 5, pipeline_started 6, task_completed 7
    expect(await checkInvariants(a.raw)).toEqual([]);
    await a.raw.query("DELETE FROM execution_events WHERE event_type = 'task_claimed'");
    expect(await checkInvariants(a.raw)).toEqual([`11.8: task ${task}: task_completed (event 00000000-0000-7000-8000-000000000007) from Ready`]);
  });

  it('catches a different write that no return value shows (context.update stores an extra key)', { timeout: 300_000 }, async () => {
    const extraKey = deviate('context', 'update', (orig, [id, value]) => orig(id, isPlainObject(value) ? { ...value, extra: true } : value));
    const { steps, message } = await shrunkFailure(extraKey, ['context.create', 'context.update']);
    expect(steps.map((s) => s.method)).toEqual(['context.create', 'context.update']);
    expect(message).toContain('difference after the last step');
    expect(message).toMatch(/final dump differs: table contexts, row 00000000-0000-7000-8000-000000000001 \(position 0\), column value\.extra: A=undefined B=true/);
  });
});
