import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../json.js';
import { trigger } from './builders.js';
import { evaluateContextOperator, evaluateTriggerRule, TRIGGER_SKIP_PREFIX } from './evaluate.js';
import type { TaskStatusLike, TriggerRule } from './types.js';

const EXTRACT = 'public::embedded::etl::extract';
const OTHER = 'public::embedded::etl::other';

function env(statuses: Record<string, TaskStatusLike>, context: JsonObject = {}) {
  return { taskStatus: (ns: string) => statuses[ns], context };
}

function evaluate(rule: TriggerRule, statuses: Record<string, TaskStatusLike> = {}, context: JsonObject = {}) {
  return evaluateTriggerRule(rule, env(statuses, context));
}

describe('evaluateTriggerRule', () => {
  it('Always is satisfied whatever happened', () => {
    expect(evaluate(trigger.always(), { [EXTRACT]: 'Failed' })).toEqual({ satisfied: true });
  });

  it('default-rule skip reason example of 5.4', () => {
    expect(evaluate(trigger.all(trigger.taskSuccess(EXTRACT)), { [EXTRACT]: 'Failed' })).toEqual({
      satisfied: false,
      reason: "Trigger rules not satisfied: upstream task 'public::embedded::etl::extract' is Failed, not Completed",
    });
  });

  it('task conditions compare against Completed / Failed / Skipped', () => {
    const statuses: Record<string, TaskStatusLike> = { [EXTRACT]: 'Skipped' };
    expect(evaluate(trigger.all(trigger.taskSkipped(EXTRACT)), statuses).satisfied).toBe(true);
    expect(evaluate(trigger.all(trigger.taskFailed(EXTRACT)), statuses)).toEqual({
      satisfied: false,
      reason: `${TRIGGER_SKIP_PREFIX}upstream task '${EXTRACT}' is Skipped, not Failed`,
    });
    expect(evaluate(trigger.all(trigger.taskSuccess(EXTRACT)), { [EXTRACT]: 'Completed' }).satisfied).toBe(true);
  });

  it('a missing row makes the condition false', () => {
    expect(evaluate(trigger.all(trigger.taskSuccess(OTHER)))).toEqual({
      satisfied: false,
      reason: `${TRIGGER_SKIP_PREFIX}upstream task '${OTHER}' has no execution row`,
    });
  });

  it('All: empty is true; reason is the first false condition', () => {
    expect(evaluate(trigger.all())).toEqual({ satisfied: true });
    const rule = trigger.all(trigger.taskSuccess(EXTRACT), trigger.taskSuccess(OTHER), trigger.contextValue('k', 'Exists'));
    expect(evaluate(rule, { [EXTRACT]: 'Completed', [OTHER]: 'Running' })).toEqual({
      satisfied: false,
      reason: `${TRIGGER_SKIP_PREFIX}upstream task '${OTHER}' is Running, not Completed`,
    });
  });

  it('Any: empty is false; lists every description', () => {
    expect(evaluate(trigger.any())).toEqual({ satisfied: false, reason: `${TRIGGER_SKIP_PREFIX}none of: (no conditions)` });
    const rule = trigger.any(trigger.taskSuccess(EXTRACT), trigger.taskFailed(EXTRACT));
    expect(evaluate(rule, { [EXTRACT]: 'Failed' }).satisfied).toBe(true);
    expect(evaluate(rule, { [EXTRACT]: 'Skipped' })).toEqual({
      satisfied: false,
      reason:
        `${TRIGGER_SKIP_PREFIX}none of: upstream task '${EXTRACT}' is Skipped, not Completed; ` +
        `upstream task '${EXTRACT}' is Skipped, not Failed`,
    });
  });

  it('None: empty is true; names the first true condition', () => {
    expect(evaluate(trigger.none())).toEqual({ satisfied: true });
    const rule = trigger.none(trigger.taskFailed(EXTRACT), trigger.contextValue('stop', 'Equals', true));
    expect(evaluate(rule, { [EXTRACT]: 'Completed' }, { stop: false }).satisfied).toBe(true);
    expect(evaluate(rule, { [EXTRACT]: 'Failed' })).toEqual({
      satisfied: false,
      reason: `${TRIGGER_SKIP_PREFIX}unexpectedly satisfied: upstream task '${EXTRACT}' is Failed`,
    });
    expect(evaluate(rule, { [EXTRACT]: 'Completed' }, { stop: true })).toEqual({
      satisfied: false,
      reason: `${TRIGGER_SKIP_PREFIX}unexpectedly satisfied: context 'stop' Equals true (actual: true)`,
    });
  });

  it('ContextValue descriptions show value and actual as JSON', () => {
    expect(evaluate(trigger.all(trigger.contextValue('rows', 'Exists')))).toEqual({
      satisfied: false,
      reason: `${TRIGGER_SKIP_PREFIX}context 'rows' Exists (actual: absent)`,
    });
    expect(evaluate(trigger.all(trigger.contextValue('n', 'GreaterThan', 10)), {}, { n: 3 })).toEqual({
      satisfied: false,
      reason: `${TRIGGER_SKIP_PREFIX}context 'n' GreaterThan 10 (actual: 3)`,
    });
    expect(evaluate(trigger.all(trigger.contextValue('s', 'Contains', 'x')), {}, { s: { a: ['b'] } })).toEqual({
      satisfied: false,
      reason: `${TRIGGER_SKIP_PREFIX}context 's' Contains "x" (actual: {"a":["b"]})`,
    });
    expect(evaluate(trigger.all(trigger.contextValue('k', 'NotExists')), {}, { k: null })).toEqual({
      satisfied: false,
      reason: `${TRIGGER_SKIP_PREFIX}context 'k' NotExists (actual: null)`,
    });
  });

  it('context lookups ignore inherited properties', () => {
    expect(evaluate(trigger.all(trigger.contextValue('toString', 'Exists'))).satisfied).toBe(false);
  });
});

describe('operator truth table (5.4)', () => {
  const op = (operator: Parameters<typeof evaluateContextOperator>[0], actual: JsonValue | undefined, value?: JsonValue) =>
    evaluateContextOperator(operator, actual !== undefined, actual, value);

  it('Exists / NotExists', () => {
    expect(op('Exists', null)).toBe(true);
    expect(op('Exists', undefined)).toBe(false);
    expect(op('NotExists', undefined)).toBe(true);
    expect(op('NotExists', 0)).toBe(false);
  });

  it('Equals / NotEquals', () => {
    expect(op('Equals', 1, 1.0)).toBe(true);
    expect(op('Equals', [1, 2], [1, 2])).toBe(true);
    expect(op('Equals', [1, 2], [2, 1])).toBe(false);
    expect(op('Equals', { a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(op('Equals', { a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(op('Equals', null, null)).toBe(true);
    expect(op('Equals', undefined, null)).toBe(false);
    expect(op('Equals', '1', 1)).toBe(false);
    expect(op('NotEquals', undefined, 1)).toBe(true);
    expect(op('NotEquals', 1, 1)).toBe(false);
    expect(op('NotEquals', 1, 2)).toBe(true);
  });

  it('GreaterThan / LessThan only for two numbers', () => {
    expect(op('GreaterThan', 5, 3)).toBe(true);
    expect(op('GreaterThan', 3, 3)).toBe(false);
    expect(op('LessThan', 2, 3)).toBe(true);
    expect(op('LessThan', 3, 3)).toBe(false);
    expect(op('GreaterThan', '5', 3)).toBe(false);
    expect(op('LessThan', 'a', 'b')).toBe(false);
    expect(op('GreaterThan', undefined, 0)).toBe(false);
    expect(op('LessThan', null, 1)).toBe(false);
  });

  it('Contains / NotContains', () => {
    expect(op('Contains', 'hello world', 'lo w')).toBe(true);
    expect(op('Contains', 'hello', 'x')).toBe(false);
    expect(op('Contains', [1, { a: [2] }], { a: [2] })).toBe(true);
    expect(op('Contains', ['1'], 1)).toBe(false);
    expect(op('Contains', 'abc', ['a'])).toBe(false);
    expect(op('Contains', { a: 1 }, 'a')).toBe(false);
    expect(op('Contains', undefined, 'a')).toBe(false);
    expect(op('NotContains', undefined, 'a')).toBe(true);
    expect(op('NotContains', ['a'], 'a')).toBe(false);
    expect(op('NotContains', 5, 5)).toBe(true);
  });
});
