import { describe, expect, it } from 'vitest';
import {
  CyclicDependencyError,
  DuplicateTaskError,
  EmptyWorkflowError,
  InvalidNameError,
  InvalidRetryPolicyError,
  InvalidTriggerRuleError,
  MissingDependencyError,
  ValidationError,
} from '../errors/index.js';
import { trigger } from '../trigger/builders.js';
import { findCycle, levelsOf, topologicalOrder, transitiveDependencies, validateDefinition, dependentsMap, type TaskGraph } from './dag.js';
import { task, type TaskDefinition, type TaskOptions } from './task.js';

const run = (): void => {};
const P = 'public::embedded::wf::';

function graph(spec: Record<string, string[]>): TaskGraph {
  return { nodes: Object.keys(spec), deps: new Map(Object.entries(spec)) };
}

function t(id: string, deps: string[] = [], extra: Partial<TaskOptions> = {}): TaskDefinition {
  return task({ id, dependencies: deps, run, ...extra });
}

function check(tasks: TaskDefinition[], name: unknown = 'wf', tenant: unknown = 'public', packageName: unknown = 'embedded') {
  return validateDefinition({ name, tenant, packageName, tasks });
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('graph algorithms', () => {
  it('findCycle returns the path with the first node repeated last', () => {
    expect(findCycle(graph({ a: [], b: ['a'] }))).toBeUndefined();
    expect(findCycle(graph({ a: ['a'] }))).toEqual(['a', 'a']);
    expect(findCycle(graph({ a: ['b'], b: ['a'] }))).toEqual(['a', 'b', 'a']);
    expect(findCycle(graph({ x: [], a: ['x', 'b'], b: ['c'], c: ['a'] }))).toEqual(['a', 'b', 'c', 'a']);
    // only the cyclic part of the path is reported
    expect(findCycle(graph({ root: ['a'], a: ['b'], b: ['a'] }))).toEqual(['a', 'b', 'a']);
  });

  it('topologicalOrder breaks ties by declaration order', () => {
    expect(topologicalOrder(graph({ c: ['a'], b: [], a: [] }))).toEqual(['b', 'a', 'c']);
    expect(topologicalOrder(graph({ a: [], b: [], c: ['a'], d: [] }))).toEqual(['a', 'b', 'c', 'd']);
    expect(topologicalOrder(graph({ z: ['y'], y: ['x'], x: [] }))).toEqual(['x', 'y', 'z']);
    expect(() => topologicalOrder(graph({ a: ['b'], b: ['a'] }))).toThrow(/cycle/);
  });

  it('levelsOf: example of 3.2', () => {
    expect(levelsOf(graph({ t1: [], t2: [], t3: ['t1', 't2'], t4: ['t3'] }))).toEqual([['t1', 't2'], ['t3'], ['t4']]);
    // declaration order within a level, not topological order
    expect(levelsOf(graph({ d: ['b', 'c'], c: ['a'], b: ['a'], a: [], e: [] }))).toEqual([['a', 'e'], ['c', 'b'], ['d']]);
  });

  it('transitiveDependencies and dependentsMap', () => {
    const g = graph({ a: [], b: ['a'], c: ['b'], d: [] });
    expect([...transitiveDependencies(g, 'c')].sort()).toEqual(['a', 'b']);
    expect(transitiveDependencies(g, 'a').size).toBe(0);
    expect(dependentsMap(g).get('a')).toEqual(['b']);
    expect(dependentsMap(g).get('d')).toEqual([]);
  });

  it('handles a 20 000-task chain without recursion limits', () => {
    const spec: Record<string, string[]> = { n0: [] };
    for (let i = 1; i < 20_000; i++) spec[`n${i}`] = [`n${i - 1}`];
    const g = graph(spec);
    expect(findCycle(g)).toBeUndefined();
    expect(topologicalOrder(g)[19_999]).toBe('n19999');
    expect(levelsOf(g)).toHaveLength(20_000);
  });
});

describe('validateDefinition: checks and messages (3.3)', () => {
  it('names: workflow, then task ids, then tenant, then package', () => {
    const badTask = { id: 'bad id', dependencies: [], run } as TaskDefinition;
    expect(errorOf(() => check([badTask], 'bad wf', 'bad tenant', 'bad.pkg')).message).toMatch(/^Invalid workflow name 'bad wf'/);
    expect(errorOf(() => check([badTask], 'wf', 'bad tenant', 'bad.pkg')).message).toMatch(/^Invalid task name 'bad id'/);
    expect(errorOf(() => check([t('a')], 'wf', 'bad tenant', 'bad.pkg')).message).toMatch(/^Invalid tenant name 'bad tenant'/);
    const e = errorOf(() => check([t('a')], 'wf', 'public', 'bad.pkg'));
    expect(e).toBeInstanceOf(InvalidNameError);
    expect(e.message).toBe("Invalid package name 'bad.pkg': may contain only ASCII letters, digits, '_' and '-'");
  });

  it('empty workflow', () => {
    const e = errorOf(() => check([]));
    expect(e).toBeInstanceOf(EmptyWorkflowError);
    expect(e.message).toBe('Workflow cannot be empty');
  });

  it('duplicate ids', () => {
    const e = errorOf(() => check([t('a'), t('b'), t('a', ['ghost'])]));
    expect(e).toBeInstanceOf(DuplicateTaskError);
    expect(e.message).toBe(`Duplicate task: ${P}a`);
  });

  it('missing dependency, named as namespaces', () => {
    const e = errorOf(() => check([t('a'), t('b', ['a', 'ghost'])]));
    expect(e).toBeInstanceOf(MissingDependencyError);
    expect(e.message).toBe(`Missing dependency: task '${P}b' depends on '${P}ghost' which is not registered`);
    expect(errorOf(() => check([t('a', ['other::embedded::wf::a'])])).message).toBe(
      `Missing dependency: task '${P}a' depends on 'other::embedded::wf::a' which is not registered`,
    );
    expect(errorOf(() => check([t('a', ['x::y'])])).message).toBe(
      `Missing dependency: task '${P}a' depends on 'x::y' which is not registered`,
    );
  });

  it('cycles, including self-dependencies', () => {
    const e = errorOf(() => check([t('a', ['c']), t('b', ['a']), t('c', ['b'])])) as CyclicDependencyError;
    expect(e).toBeInstanceOf(CyclicDependencyError);
    expect(e.cycle).toEqual([`${P}a`, `${P}c`, `${P}b`, `${P}a`]);
    expect(e.message).toBe(`Circular dependency detected: ${P}a -> ${P}c -> ${P}b -> ${P}a`);
    const self = errorOf(() => check([t('a', ['a'])])) as CyclicDependencyError;
    expect(self.cycle).toEqual([`${P}a`, `${P}a`]);
    expect(self.message).toBe(`Circular dependency detected: ${P}a -> ${P}a`);
  });

  it('trigger rules must be well-formed', () => {
    const e = errorOf(() => check([t('a'), t('b', ['a'], { trigger: { type: 'Maybe' } as never })]));
    expect(e).toBeInstanceOf(InvalidTriggerRuleError);
    expect(e.message).toBe(`Invalid trigger rule for task '${P}b': unknown rule type 'Maybe'`);
    expect(errorOf(() => check([t('a'), t('b', ['a'], { trigger: trigger.taskSuccess('x::y') })])).message).toBe(
      `Invalid trigger rule for task '${P}b': 'x::y' is not a valid task reference`,
    );
  });

  it('task conditions must name transitive dependencies', () => {
    const tasks = [t('a'), t('b', ['a']), t('c', ['b'], { trigger: trigger.all(trigger.taskSuccess('a')) }), t('d')];
    expect(() => check(tasks)).not.toThrow();
    const bad = [...tasks, t('e', ['a'], { trigger: trigger.any(trigger.taskSuccess('a'), trigger.taskFailed('d')) })];
    const e = errorOf(() => check(bad));
    expect(e).toBeInstanceOf(InvalidTriggerRuleError);
    expect(e.message).toBe(`Invalid trigger rule for task '${P}e': '${P}d' is not a (transitive) dependency`);
    expect(errorOf(() => check([t('a', [], { trigger: trigger.taskSuccess('a') })])).message).toBe(
      `Invalid trigger rule for task '${P}a': '${P}a' is not a (transitive) dependency`,
    );
  });

  it('retry policies, then timeouts', () => {
    const e = errorOf(() => check([t('a', [], { retry: { maxAttempts: 0 } })]));
    expect(e).toBeInstanceOf(InvalidRetryPolicyError);
    expect(e.message).toBe(`Invalid retry policy for task '${P}a': maxAttempts must be an integer >= 1 (got 0)`);
    const raw = { id: 'a', dependencies: [], run, timeoutMs: 0 } as TaskDefinition;
    const te = errorOf(() => check([raw]));
    expect(te.constructor).toBe(ValidationError);
    expect(te.message).toBe(`Invalid timeoutMs for task '${P}a': must be a positive integer <= 2147483647 (got 0)`);
  });

  it('runs each check over all tasks before the next one', () => {
    // task 1 has a bad policy, task 2 a bad rule: the rule check comes first
    const tasks = [t('a', [], { retry: { maxAttempts: 0 } }), t('b', ['a'], { trigger: { type: 'X' } as never })];
    expect(errorOf(() => check(tasks))).toBeInstanceOf(InvalidTriggerRuleError);
    // a missing dependency (any task) is reported before a cycle; a cycle before a bad rule
    expect(errorOf(() => check([t('a', ['b']), t('b', ['a']), t('c', ['ghost'])]))).toBeInstanceOf(MissingDependencyError);
    expect(errorOf(() => check([t('a', ['b']), t('b', ['a'], { trigger: { type: 'X' } as never })]))).toBeInstanceOf(CyclicDependencyError);
  });
});

describe('validateDefinition: resolution', () => {
  it('resolves dependencies (deduplicated) and materialises default rules', () => {
    const { tasks } = check([t('a'), t('b'), t('c', ['b', 'a', `${P}b`])]);
    const c = tasks[2];
    expect(c?.dependencies).toEqual([`${P}b`, `${P}a`]);
    expect(c?.triggerRules).toEqual({
      type: 'All',
      conditions: [
        { type: 'TaskSuccess', task_name: `${P}b` },
        { type: 'TaskSuccess', task_name: `${P}a` },
      ],
    });
    expect(tasks[0]?.triggerRules).toEqual({ type: 'Always' });
    expect(tasks.map((x) => x.leaf)).toEqual([false, false, true]);
    expect(tasks[0]?.maxAttempts).toBe(3);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c?.triggerRules)).toBe(true);
  });

  it('resolves explicit rule refs to namespaces and keeps non-task conditions', () => {
    const { tasks } = check([t('a'), t('b', ['a'], { trigger: trigger.taskFailed('a') }), t('c', ['b'], {
      trigger: trigger.none(trigger.taskSkipped(`${P}a`), trigger.contextValue('k', 'Equals', [1])),
      retry: { maxAttempts: 7 },
      timeoutMs: 5000,
    })]);
    expect(tasks[1]?.triggerRules).toEqual({ type: 'All', conditions: [{ type: 'TaskFailed', task_name: `${P}a` }] });
    expect(tasks[2]?.triggerRules).toEqual({
      type: 'None',
      conditions: [
        { type: 'TaskSkipped', task_name: `${P}a` },
        { type: 'ContextValue', key: 'k', operator: 'Equals', value: [1] },
      ],
    });
    expect(tasks[2]?.maxAttempts).toBe(7);
    expect(tasks[2]?.storedRetryPolicy.max_attempts).toBe(7);
    expect(tasks[2]?.timeoutMs).toBe(5000);
  });
});
