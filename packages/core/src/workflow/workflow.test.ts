import { describe, expect, it } from 'vitest';
import { Context } from '../context.js';
import { EmptyWorkflowError, TaskNotFoundError, ValidationError } from '../errors/index.js';
import { trigger } from '../trigger/builders.js';
import { task, type TaskOptions } from './task.js';
import { Workflow, workflow } from './workflow.js';

const run = (): void => {};
const P = 'public::embedded::etl::';

const extract = task({ id: 'extract', run: async (ctx: Context) => ctx.set('rows', [1, 2]) });
const transform = task({
  id: 'transform',
  dependencies: [extract],
  retry: { maxAttempts: 5, backoff: 'exponential', initialDelayMs: 500 },
  timeoutMs: 60_000,
  trigger: trigger.all(trigger.taskSuccess('extract'), trigger.contextValue('rows', 'Exists')),
  run: async (ctx: Context) => ({ ...ctx.toJSON(), count: ctx.get<unknown[]>('rows')?.length ?? 0 }),
});
const load = task({ id: 'load', dependencies: ['transform'], run });

function etl() {
  return workflow({ name: 'etl', description: 'Nightly ETL', tasks: [extract, transform, load], tags: { team: 'data' } });
}

function diamond() {
  // declared out of topological order on purpose
  return workflow({
    name: 'diamond',
    tasks: [
      task({ id: 'end', dependencies: ['left', 'right'], run }),
      task({ id: 'right', dependencies: ['start'], run }),
      task({ id: 'left', dependencies: ['start'], run }),
      task({ id: 'start', run }),
      task({ id: 'lonely', run }),
    ],
  });
}
const D = 'public::embedded::diamond::';

describe('workflow()', () => {
  it('exposes metadata with defaults', () => {
    const wf = etl();
    expect(wf).toBeInstanceOf(Workflow);
    expect(wf.name).toBe('etl');
    expect(wf.description).toBe('Nightly ETL');
    expect(wf.tenant).toBe('public');
    expect(wf.packageName).toBe('embedded');
    expect(wf.tags).toEqual({ team: 'data' });
    expect(wf.tasks).toEqual([extract, transform, load]);
    expect(wf.tasks[0]).toBe(extract);
    expect(wf.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('is immutable', () => {
    const wf = etl();
    expect(Object.isFrozen(wf)).toBe(true);
    expect(Object.isFrozen(wf.tasks)).toBe(true);
    expect(Object.isFrozen(wf.tags)).toBe(true);
    expect(() => {
      (wf as { name: string }).name = 'x';
    }).toThrow(TypeError);
    wf.topologicalSort().pop();
    wf.executionLevels()[0]?.pop();
    expect(wf.topologicalSort()).toHaveLength(3);
    expect(wf.executionLevels()[0]).toHaveLength(1);
  });

  it('uses tenant and package in namespaces', () => {
    const wf = workflow({ name: 'wf', tenant: 'tenant_a', package: 'analytics', tasks: [task({ id: 't', run })] });
    expect(wf.namespaceOf('t')).toBe('tenant_a::analytics::wf::t');
  });

  it('accepts plain task option objects', () => {
    const wf = workflow({ name: 'wf', tasks: [{ id: 'a', run } as TaskOptions, { id: 'b', dependencies: ['a'], run }] });
    expect(wf.dependenciesOf('b')).toEqual(['public::embedded::wf::a']);
  });

  it('validates options', () => {
    expect(() => workflow({ name: 'wf', tasks: 'x' } as never)).toThrow('Workflow tasks must be an array');
    expect(() => workflow({ name: 'wf', tasks: [null] } as never)).toThrow('Workflow task 1 is not a task definition');
    expect(() => workflow({ name: 'wf', tasks: [], tags: { a: 1 } } as never)).toThrow("Workflow tag 'a' must be a string");
    expect(() => workflow({ name: 'wf', tasks: [], description: 3 } as never)).toThrow('Workflow description must be a string');
    expect(() => workflow({ name: 'wf', tasks: [], packageName: 'p' } as never)).toThrow("workflow(): unknown option 'packageName'");
    expect(() => workflow({ name: 'wf', tasks: [] })).toThrow(EmptyWorkflowError);
    expect(() => workflow({ name: 'wf', tasks: [] })).toThrow(ValidationError);
  });

  it('namespaceOf / getTask / taskInfo accept ids and namespaces', () => {
    const wf = etl();
    expect(wf.namespaceOf('extract')).toBe(`${P}extract`);
    expect(wf.getTask('transform')).toBe(transform);
    expect(wf.getTask(`${P}transform`)).toBe(transform);
    const info = wf.taskInfo('transform');
    expect(info.maxAttempts).toBe(5);
    expect(info.timeoutMs).toBe(60_000);
    expect(info.storedRetryPolicy.initial_delay_ms).toBe(500);
    expect(info.triggerRules).toEqual({
      type: 'All',
      conditions: [
        { type: 'TaskSuccess', task_name: `${P}extract` },
        { type: 'ContextValue', key: 'rows', operator: 'Exists' },
      ],
    });
  });

  it('unknown tasks raise TaskNotFoundError with the namespace', () => {
    const wf = etl();
    for (const call of [
      () => wf.getTask('nope'),
      () => wf.namespaceOf('nope'),
      () => wf.dependenciesOf('nope'),
      () => wf.dependentsOf(`${P}nope`),
      () => wf.canRunParallel('extract', 'nope'),
      () => wf.subgraph(['nope']),
    ]) {
      expect(call).toThrow(TaskNotFoundError);
      expect(call).toThrow(`Task not found: ${P}nope`);
    }
    expect(() => wf.getTask('other::embedded::etl::extract')).toThrow('Task not found: other::embedded::etl::extract');
  });

  it('dependencies, dependents, roots, leaves in declaration order', () => {
    const wf = diamond();
    expect(wf.dependenciesOf('end')).toEqual([`${D}left`, `${D}right`]);
    expect(wf.dependentsOf('start')).toEqual([`${D}right`, `${D}left`]);
    expect(wf.dependentsOf(`${D}end`)).toEqual([]);
    expect(wf.roots()).toEqual([`${D}start`, `${D}lonely`]);
    expect(wf.leaves()).toEqual([`${D}end`, `${D}lonely`]);
    expect(wf.namespaces()).toEqual(['end', 'right', 'left', 'start', 'lonely'].map((x) => D + x));
  });

  it('topologicalSort: dependencies first, declaration order among ready tasks', () => {
    expect(diamond().topologicalSort()).toEqual(['start', 'right', 'left', 'end', 'lonely'].map((x) => D + x));
    expect(etl().topologicalSort()).toEqual([`${P}extract`, `${P}transform`, `${P}load`]);
  });

  it('executionLevels: example of 3.2', () => {
    const wf = workflow({
      name: 'lv',
      tasks: [
        task({ id: 't1', run }),
        task({ id: 't2', run }),
        task({ id: 't3', dependencies: ['t1', 't2'], run }),
        task({ id: 't4', dependencies: ['t3'], run }),
      ],
    });
    const ns = (id: string) => `public::embedded::lv::${id}`;
    expect(wf.executionLevels()).toEqual([[ns('t1'), ns('t2')], [ns('t3')], [ns('t4')]]);
    expect(diamond().executionLevels()).toEqual([[`${D}start`, `${D}lonely`], [`${D}right`, `${D}left`], [`${D}end`]]);
  });

  it('canRunParallel', () => {
    const wf = diamond();
    expect(wf.canRunParallel('left', 'right')).toBe(true);
    expect(wf.canRunParallel('lonely', `${D}end`)).toBe(true);
    expect(wf.canRunParallel('start', 'end')).toBe(false);
    expect(wf.canRunParallel('end', 'start')).toBe(false);
    expect(wf.canRunParallel('left', 'left')).toBe(false);
  });

  it('subgraph keeps requested tasks and their transitive dependencies', () => {
    const wf = diamond();
    const sub = wf.subgraph(['left', 'lonely']);
    expect(sub.name).toBe('diamond-subgraph');
    expect(sub.tenant).toBe('public');
    expect(sub.packageName).toBe('embedded');
    expect(sub.tasks.map((x) => x.id)).toEqual(['left', 'start', 'lonely']);
    expect(sub.dependenciesOf('left')).toEqual(['public::embedded::diamond-subgraph::start']);
    expect(() => wf.subgraph([])).toThrow(EmptyWorkflowError);
    expect(etl().subgraph(['load']).tags).toEqual({ team: 'data' });
    expect(etl().subgraph(['load']).description).toBe('Nightly ETL');
  });

  it('subgraph rewrites namespace references to the new workflow', () => {
    const wf = workflow({
      name: 'wf',
      tasks: [
        task({ id: 'a', run }),
        task({
          id: 'b',
          dependencies: ['public::embedded::wf::a'],
          trigger: trigger.any(trigger.taskFailed('public::embedded::wf::a'), trigger.contextValue('k', 'Exists')),
          run,
        }),
      ],
    });
    const sub = wf.subgraph(['b']);
    expect(sub.taskInfo('b').triggerRules).toEqual({
      type: 'Any',
      conditions: [
        { type: 'TaskFailed', task_name: 'public::embedded::wf-subgraph::a' },
        { type: 'ContextValue', key: 'k', operator: 'Exists' },
      ],
    });
    expect(sub.taskInfo('a').triggerRules).toEqual({ type: 'Always' });
  });

  it('taskSpecs: topological order, stored forms, timeout only when set, leaf flags', () => {
    const specs = etl().taskSpecs();
    expect(specs.map((s) => s.taskName)).toEqual([`${P}extract`, `${P}transform`, `${P}load`]);
    expect(specs[0]).toEqual({
      taskName: `${P}extract`,
      maxAttempts: 3,
      triggerRules: { type: 'Always' },
      taskConfiguration: {
        dependencies: [],
        retry_policy: {
          max_attempts: 3,
          backoff_strategy: { type: 'Exponential', base: 2, multiplier: 1 },
          initial_delay_ms: 1000,
          max_delay_ms: 60000,
          jitter: true,
          retry_conditions: [{ type: 'AllErrors' }],
        },
        leaf: false,
      },
    });
    expect('timeout_ms' in (specs[0]?.taskConfiguration ?? {})).toBe(false);
    expect(specs[1]?.maxAttempts).toBe(5);
    expect(specs[1]?.taskConfiguration.timeout_ms).toBe(60_000);
    expect(specs[1]?.taskConfiguration.retry_policy.max_attempts).toBe(5);
    expect(specs[2]?.triggerRules).toEqual({ type: 'All', conditions: [{ type: 'TaskSuccess', task_name: `${P}transform` }] });
    expect(specs[2]?.taskConfiguration).toMatchObject({ dependencies: [`${P}transform`], leaf: true });
    // fresh copies: mutating one result does not leak into the next
    specs[0]!.taskConfiguration.dependencies.push('x');
    (specs[2]!.triggerRules as { type: string }).type = 'Always';
    expect(etl().taskSpecs()[0]?.taskConfiguration.dependencies).toEqual([]);
    const wf = etl();
    const first = wf.taskSpecs();
    first[1]!.taskConfiguration.retry_policy.max_attempts = 99;
    expect(wf.taskSpecs()[1]?.taskConfiguration.retry_policy.max_attempts).toBe(5);
    expect(JSON.parse(JSON.stringify(wf.taskSpecs()))).toEqual(wf.taskSpecs());
  });
});
