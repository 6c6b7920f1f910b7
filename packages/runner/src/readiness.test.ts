import { describe, expect, it } from 'vitest';
import { task, workflow, trigger, type JsonObject, type TaskExecution, type TaskStatus } from '@cloacina/core';
import { planReadiness } from './readiness.js';

/** Task rows as createWithTasks would write them, with statuses overridden. */
function rows(wf: ReturnType<typeof workflow>, statuses: Record<string, TaskStatus> = {}): TaskExecution[] {
  return wf.taskSpecs().map((s, i) => ({
    id: `id-${String(i).padStart(3, '0')}`,
    pipelineExecutionId: 'run',
    taskName: s.taskName,
    status: statuses[s.taskName.split('::')[3] as string] ?? 'NotStarted',
    startedAt: null,
    completedAt: null,
    attempt: 1,
    maxAttempts: s.maxAttempts,
    errorDetails: null,
    triggerRules: s.triggerRules,
    taskConfiguration: s.taskConfiguration as unknown as JsonObject,
    retryAt: null,
    lastError: null,
    recoveryAttempts: 0,
    lastRecoveryAt: null,
    claimedBy: null,
    heartbeatAt: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  }));
}

const noop = () => {};
const ns = (id: string) => `public::embedded::w::${id}`;

describe('planReadiness', () => {
  it('readies roots and waits for unsettled dependencies', async () => {
    const a = task({ id: 'a', run: noop });
    const b = task({ id: 'b', dependencies: [a], run: noop });
    const plan = await planReadiness(rows(workflow({ name: 'w', tasks: [a, b] })), async () => ({}));
    expect(plan).toEqual({ decisions: [{ id: 'id-000', outcome: 'Ready' }], finished: false, completedLeaves: [] });
  });

  it('propagates a skip down a chain in one pass, with the exact reasons', async () => {
    const a = task({ id: 'a', run: noop });
    const b = task({ id: 'b', dependencies: [a], run: noop });
    const c = task({ id: 'c', dependencies: [b], run: noop });
    const plan = await planReadiness(rows(workflow({ name: 'w', tasks: [a, b, c] }), { a: 'Failed' }), async () => ({}));
    expect(plan.decisions).toEqual([
      { id: 'id-001', outcome: 'Skipped', reason: `Trigger rules not satisfied: upstream task '${ns('a')}' is Failed, not Completed` },
      { id: 'id-002', outcome: 'Skipped', reason: `Trigger rules not satisfied: upstream task '${ns('b')}' is Skipped, not Completed` },
    ]);
    expect(plan.finished).toBe(true);
    expect(plan.completedLeaves).toEqual([]);
  });

  it('evaluates context conditions on the prospective input, loading it only when needed', async () => {
    const a = task({ id: 'a', run: noop });
    const big = task({ id: 'big', dependencies: [a], trigger: trigger.contextValue('n', 'GreaterThan', 10), run: noop });
    const small = task({ id: 'small', dependencies: [a], trigger: trigger.contextValue('n', 'LessThan', 10), run: noop });
    const plain = task({ id: 'plain', dependencies: [a], run: noop });
    const loads: string[][] = [];
    const plan = await planReadiness(rows(workflow({ name: 'w', tasks: [a, big, small, plain] }), { a: 'Completed' }), async (_t, deps) => {
      loads.push(deps);
      return { n: 3 };
    });
    expect(plan.decisions).toEqual([
      { id: 'id-001', outcome: 'Skipped', reason: "Trigger rules not satisfied: context 'n' GreaterThan 10 (actual: 3)" },
      { id: 'id-002', outcome: 'Ready' },
      { id: 'id-003', outcome: 'Ready' },
    ]);
    expect(loads).toEqual([[ns('a')], [ns('a')]]);
  });

  it('lists the completed leaves in id order once everything is terminal', async () => {
    const a = task({ id: 'a', run: noop });
    const x = task({ id: 'x', dependencies: [a], run: noop });
    const y = task({ id: 'y', dependencies: [a], run: noop });
    const z = task({ id: 'z', dependencies: [a], trigger: trigger.taskFailed('a'), run: noop });
    const plan = await planReadiness(rows(workflow({ name: 'w', tasks: [a, x, y, z] }), { a: 'Completed', x: 'Completed', y: 'Completed' }), async () => ({}));
    expect(plan.decisions).toEqual([{ id: 'id-003', outcome: 'Skipped', reason: `Trigger rules not satisfied: upstream task '${ns('a')}' is Completed, not Failed` }]);
    expect(plan).toMatchObject({ finished: true, completedLeaves: [ns('x'), ns('y')] });
  });

  it('treats a dependency without a row as settled (its conditions are false)', async () => {
    const a = task({ id: 'a', run: noop });
    const b = task({ id: 'b', dependencies: [a], run: noop });
    const plan = await planReadiness(rows(workflow({ name: 'w', tasks: [a, b] })).slice(1), async () => ({}));
    expect(plan.decisions).toEqual([{ id: 'id-001', outcome: 'Skipped', reason: `Trigger rules not satisfied: upstream task '${ns('a')}' has no execution row` }]);
  });

  it('skips a task whose stored rule cannot be read rather than wedging the run', async () => {
    const r = rows(workflow({ name: 'w', tasks: [task({ id: 'a', run: noop })] }));
    (r[0] as TaskExecution).triggerRules = { type: 'Sometimes' };
    const plan = await planReadiness(r, async () => ({}));
    expect(plan.decisions[0]).toMatchObject({ outcome: 'Skipped' });
    expect((plan.decisions[0] as { reason: string }).reason).toMatch(/^Trigger rules not satisfied: InvalidTriggerRuleError: Invalid trigger rule for task 'public::embedded::w::a'/);
  });
});
