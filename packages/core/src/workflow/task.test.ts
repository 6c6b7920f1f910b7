import { describe, expect, it } from 'vitest';
import { InvalidNameError, ValidationError } from '../errors/index.js';
import { trigger } from '../trigger/builders.js';
import { isTaskDefinition, MAX_TIMEOUT_MS, task, validateTimeoutMs, type TaskOptions } from './task.js';

const run = async (): Promise<void> => {};

describe('task()', () => {
  it('returns a frozen definition with defaults', () => {
    const t = task({ id: 'extract', run });
    expect(t).toEqual({ id: 'extract', dependencies: [], run });
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.dependencies)).toBe(true);
    expect(isTaskDefinition(t)).toBe(true);
    expect(isTaskDefinition({ id: 'x', dependencies: [], run })).toBe(false);
  });

  it('keeps dependency refs as strings in order (ids, namespaces, task objects)', () => {
    const a = task({ id: 'a', run });
    const t = task({ id: 'b', dependencies: [a, 'c', 'public::embedded::wf::d'], run });
    expect(t.dependencies).toEqual(['a', 'c', 'public::embedded::wf::d']);
  });

  it('copies and freezes retry and trigger; wraps a single condition', () => {
    const retry = { maxAttempts: 5, conditions: ['TransientOnly' as const] };
    const t = task({ id: 'x', retry, trigger: trigger.taskFailed('a'), timeoutMs: 60_000, description: 'd', run });
    retry.maxAttempts = 1;
    expect(t.retry).toEqual({ maxAttempts: 5, conditions: ['TransientOnly'] });
    expect(Object.isFrozen(t.retry)).toBe(true);
    expect(Object.isFrozen(t.retry?.conditions)).toBe(true);
    expect(t.trigger).toEqual({ type: 'All', conditions: [{ type: 'TaskFailed', task_name: 'a' }] });
    expect(Object.isFrozen(t.trigger)).toBe(true);
    expect(t.timeoutMs).toBe(60_000);
    expect(t.description).toBe('d');
    const rule = trigger.any(trigger.taskSuccess('a'));
    expect(task({ id: 'y', trigger: rule, run }).trigger).toEqual(rule);
  });

  it('validates the id with the task name rules', () => {
    expect(() => task({ id: 'bad id', run })).toThrow(InvalidNameError);
    expect(() => task({ id: 'bad id', run })).toThrow("Invalid task name 'bad id': may contain only ASCII letters, digits, '_', '.' and '-'");
  });

  it('validates other options', () => {
    expect(() => task({ id: 'x' } as TaskOptions)).toThrow("Task 'x' needs a run function");
    expect(() => task({ id: 'x', run, deps: [] } as unknown as TaskOptions)).toThrow("Task 'x': unknown option 'deps'");
    expect(() => task({ id: 'x', run, dependencies: 'a' } as unknown as TaskOptions)).toThrow("Task 'x': dependencies must be an array");
    expect(() => task({ id: 'x', run, dependencies: [''] })).toThrow(
      "Task 'x': dependency 1 must be a task id, a namespace or a task object",
    );
    expect(() => task({ id: 'x', run, dependencies: ['a', 3 as unknown as string] })).toThrow(/dependency 2/);
    expect(() => task({ id: 'x', run, description: 1 as unknown as string })).toThrow("Task 'x': description must be a string");
    expect(() => task(null as unknown as TaskOptions)).toThrow(ValidationError);
  });

  it.each([0, -1, 1.5, MAX_TIMEOUT_MS + 1, Number.NaN, Infinity])('refuses timeoutMs %s', (timeoutMs) => {
    expect(() => task({ id: 'x', run, timeoutMs })).toThrow(ValidationError);
    expect(() => task({ id: 'x', run, timeoutMs })).toThrow(
      `Invalid timeoutMs for task 'x': must be a positive integer <= 2147483647 (got ${timeoutMs})`,
    );
  });

  it('accepts timeoutMs at the bounds', () => {
    expect(task({ id: 'x', run, timeoutMs: 1 }).timeoutMs).toBe(1);
    expect(task({ id: 'x', run, timeoutMs: MAX_TIMEOUT_MS }).timeoutMs).toBe(MAX_TIMEOUT_MS);
    expect(validateTimeoutMs(undefined, 'x')).toBeUndefined();
    expect(() => validateTimeoutMs('5', 'ns')).toThrow("Invalid timeoutMs for task 'ns': must be a positive integer <= 2147483647 (got string)");
  });
});
