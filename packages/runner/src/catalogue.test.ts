import { describe, expect, it } from 'vitest';
import { CyclicDependencyError, WorkflowConflictError, task, workflow } from '@cloacina/core';
import { Catalogue, toWorkflow } from './catalogue.js';

const wf = (name: string, body = 1) => workflow({ name, tasks: [task({ id: 'only', run: () => ({ body }) })] });
const pkg = { kind: 'package', packageId: 'p1', packageName: 'analytics', version: '1.2.0' } as const;

describe('Catalogue', () => {
  it('registers, replaces and looks up by name and namespace', () => {
    const c = new Catalogue();
    const first = wf('etl');
    c.register(first);
    expect(c.task('public::embedded::etl::only')?.workflow).toBe(first);
    const second = wf('etl', 2);
    c.register(second);
    expect(c.workflow('etl')).toBe(second);
    expect(c.task('public::embedded::etl::only')?.workflow).toBe(second);
    c.register(wf('aaa'));
    expect(c.names()).toEqual(['aaa', 'etl']);
    expect(c.list().map((w) => w.name)).toEqual(['aaa', 'etl']);
  });

  it('refuses a name owned by another source', () => {
    const c = new Catalogue();
    c.register(wf('analytics'), pkg);
    expect(() => c.register(wf('analytics'))).toThrow(WorkflowConflictError);
    expect(() => c.register(wf('analytics'))).toThrow("Workflow 'analytics' is already provided by package analytics v1.2.0");
    const d = new Catalogue();
    d.register(wf('etl'));
    expect(() => d.register(wf('etl'), pkg)).toThrow("Workflow 'etl' is already provided by embedded code");
  });

  it('unregisters only what the source owns', () => {
    const c = new Catalogue();
    c.register(wf('analytics'), pkg);
    expect(c.unregister('analytics')).toBe(false);
    expect(c.unregister('analytics', pkg)).toBe(true);
    expect(c.has('analytics')).toBe(false);
    expect(c.task('public::embedded::analytics::only')).toBeUndefined();
    expect(c.unregister('nothing')).toBe(false);
  });

  it('refreshes once through the registry hook on a miss', async () => {
    const c = new Catalogue();
    let refreshed = 0;
    c.refresh = async () => {
      refreshed++;
      c.register(wf('late'));
    };
    expect(await c.resolveWorkflow('late')).toBe(true);
    expect(await c.resolveTask('public::embedded::late::only')).toBeDefined();
    expect(await c.resolveTask('public::embedded::missing::x')).toBeUndefined();
    expect(refreshed).toBe(2);
  });

  it('builds workflows from options, surfacing definition errors', () => {
    expect(toWorkflow({ name: 'x', tasks: [{ id: 'a', run: () => {} }] }).name).toBe('x');
    const cyclic = {
      name: 'loop',
      tasks: [
        { id: 'a', dependencies: ['b'], run: () => {} },
        { id: 'b', dependencies: ['a'], run: () => {} },
      ],
    };
    expect(() => toWorkflow(cyclic)).toThrow(CyclicDependencyError);
    expect(() => toWorkflow(cyclic)).toThrow('Circular dependency detected: public::embedded::loop::a -> public::embedded::loop::b -> public::embedded::loop::a');
  });
});
