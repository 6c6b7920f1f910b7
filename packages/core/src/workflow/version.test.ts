import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { trigger } from '../trigger/builders.js';
import { task, type TaskOptions } from './task.js';
import { codeFingerprint, computeWorkflowVersion } from './version.js';
import { workflow, type WorkflowOptions } from './workflow.js';

const runA = (): void => {};
const runB = (): void => {};
const runC = (): void => {
  void 1;
};

function build(over: { a?: Partial<TaskOptions>; b?: Partial<TaskOptions>; wf?: Partial<WorkflowOptions> } = {}) {
  return workflow({
    name: 'etl',
    description: 'd',
    tags: { team: 'data', env: 'prod' },
    tasks: [task({ id: 'a', run: runA, ...over.a }), task({ id: 'b', dependencies: ['a'], run: runB, ...over.b })],
    ...over.wf,
  });
}

describe('content-hash version (3.6)', () => {
  it('is 16 hex digits, never empty and never 1.0', () => {
    const v = build().version;
    expect(v).toMatch(/^[0-9a-f]{16}$/);
    expect(v).not.toBe('1.0');
  });

  it('identical definitions give identical versions', () => {
    expect(build().version).toBe(build().version);
    // declaration order of tasks does not matter (namespace order is hashed)
    const reordered = workflow({
      name: 'etl',
      description: 'd',
      tags: { env: 'prod', team: 'data' },
      tasks: [task({ id: 'b', dependencies: ['a'], run: runB }), task({ id: 'a', run: runA })],
    });
    expect(reordered.version).toBe(build().version);
    // an explicit rule equal to the default rule is the same content
    expect(build({ b: { trigger: trigger.taskSuccess('a') } }).version).toBe(build().version);
    expect(build({ a: { retry: { maxAttempts: 3 } } }).version).toBe(build().version);
  });

  it('every relevant change gives a different version', () => {
    const base = build().version;
    const variants = {
      code: build({ b: { run: runC } }),
      dependency: build({ b: { dependencies: [] } }),
      newTask: workflow({ name: 'etl', description: 'd', tags: { team: 'data', env: 'prod' }, tasks: [...build().tasks, task({ id: 'c', run: runA })] }),
      rule: build({ b: { trigger: trigger.any(trigger.taskSuccess('a'), trigger.taskFailed('a')) } }),
      policy: build({ a: { retry: { maxAttempts: 4 } } }),
      jitter: build({ a: { retry: { jitter: false } } }),
      timeout: build({ a: { timeoutMs: 1000 } }),
      description: build({ wf: { description: 'other' } }),
      noDescription: build({ wf: { description: undefined } }),
      tags: build({ wf: { tags: { team: 'data' } } }),
      tagValue: build({ wf: { tags: { team: 'ops', env: 'prod' } } }),
      name: build({ wf: { name: 'etl2' } }),
      tenant: build({ wf: { tenant: 'tenant_a' } }),
      package: build({ wf: { package: 'pkg' } }),
    };
    const versions = Object.values(variants).map((w) => w.version);
    for (const v of versions) expect(v).not.toBe(base);
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('matches the documented construction', () => {
    const wf = workflow({ name: 'one', tasks: [task({ id: 't', run: runA })] });
    const policy = wf.taskInfo('t').storedRetryPolicy;
    const fp = createHash('sha256').update(runA.toString()).digest('hex');
    expect(codeFingerprint(runA)).toBe(fp);
    const ns = 'public::embedded::one::t';
    const doc = {
      config: ['one', 'public', null, []],
      tasks: [['t', [], fp, { type: 'Always' }, policy, null]],
      topology: [[ns, []]],
    };
    const canonical = JSON.stringify(doc, (_k, v: unknown) =>
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
        : v,
    );
    const expected = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
    expect(wf.version).toBe(expected);
    expect(
      computeWorkflowVersion({
        name: 'one',
        tenant: 'public',
        description: undefined,
        tags: {},
        tasks: [{ id: 't', namespace: ns, dependencies: [], run: runA, triggerRules: { type: 'Always' }, retryPolicy: policy, timeoutMs: undefined }],
      }),
    ).toBe(expected);
  });
});
