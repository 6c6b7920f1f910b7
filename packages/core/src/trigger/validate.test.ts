import { describe, expect, it } from 'vitest';
import { InvalidTriggerRuleError, ValidationError } from '../errors/index.js';
import { trigger } from './builders.js';
import { mapTaskRefs, parseTriggerRule, taskRefsOf, validateTriggerRule, wrapTriggerInput } from './validate.js';

const NS = 'public::embedded::wf::t';

function whyOf(raw: unknown): string {
  try {
    validateTriggerRule(raw, NS);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidTriggerRuleError);
    expect(e).toBeInstanceOf(ValidationError);
    const prefix = `Invalid trigger rule for task '${NS}': `;
    expect((e as Error).message.startsWith(prefix)).toBe(true);
    return (e as Error).message.slice(prefix.length);
  }
  throw new Error('expected a failure');
}

describe('validateTriggerRule', () => {
  it('accepts every documented shape and returns a copy', () => {
    const rules = [
      trigger.always(),
      trigger.all(),
      trigger.any(trigger.taskSuccess('a'), trigger.taskFailed('b'), trigger.taskSkipped('c')),
      trigger.none(
        ...(['Exists', 'NotExists'] as const).map((op) => trigger.contextValue('k', op)),
        ...(['Equals', 'NotEquals', 'GreaterThan', 'LessThan', 'Contains', 'NotContains'] as const).map((op) =>
          trigger.contextValue('k', op, { nested: [1, null] }),
        ),
      ),
    ];
    for (const rule of rules) {
      const out = validateTriggerRule(rule, NS);
      expect(out).toEqual(rule);
      expect(out).not.toBe(rule);
    }
  });

  it('rejects every other shape with a reason', () => {
    expect(whyOf(null)).toBe('rule must be an object (got null)');
    expect(whyOf([])).toBe('rule must be an object (got array)');
    expect(whyOf({})).toBe('unknown rule type undefined');
    expect(whyOf({ type: 'Sometimes' })).toBe("unknown rule type 'Sometimes'");
    expect(whyOf({ type: 'Always', conditions: [] })).toBe("rule Always has an unexpected key 'conditions'");
    expect(whyOf({ type: 'All' })).toBe("rule All needs 'conditions' as an array (got undefined)");
    expect(whyOf({ type: 'Any', conditions: {} })).toBe("rule Any needs 'conditions' as an array (got object)");
    expect(whyOf({ type: 'All', conditions: [], extra: 1 })).toBe("rule All has an unexpected key 'extra'");
    expect(whyOf({ type: 'All', conditions: ['a'] })).toBe("condition 1 must be an object (got 'a')");
    expect(whyOf({ type: 'All', conditions: [{ type: 'All', conditions: [] }] })).toBe("condition 1 has an unknown type 'All'");
    expect(whyOf(trigger.all(trigger.taskSuccess('a'), { type: 'TaskSuccess' } as never))).toBe(
      "condition 2 needs 'task_name' as a non-empty string (got undefined)",
    );
    expect(whyOf(trigger.all(trigger.taskSuccess('')))).toBe("condition 1 needs 'task_name' as a non-empty string (got '')");
    expect(whyOf(trigger.all({ type: 'TaskFailed', taskName: 'a' } as never))).toBe("condition 1 has an unexpected key 'taskName'");
    expect(whyOf(trigger.all(trigger.contextValue('k', 'Matches' as never, 1)))).toBe("condition 1 has an unknown operator 'Matches'");
    expect(whyOf(trigger.all({ type: 'ContextValue', operator: 'Exists' } as never))).toBe("condition 1 needs 'key' as a string (got undefined)");
    expect(whyOf(trigger.all(trigger.contextValue('k', 'Equals')))).toBe('condition 1: operator Equals requires a value');
    expect(whyOf(trigger.all(trigger.contextValue('k', 'Exists', 1)))).toBe('condition 1: operator Exists takes no value');
    expect(whyOf(trigger.all(trigger.contextValue('k', 'Equals', Number.NaN)))).toBe('condition 1: value is a non-finite number');
  });

  it('parseTriggerRule reads stored text', () => {
    expect(parseTriggerRule('{"type":"Always"}', NS)).toEqual({ type: 'Always' });
    expect(() => parseTriggerRule('{', NS)).toThrow(`Invalid trigger rule for task '${NS}': not valid JSON`);
    expect(parseTriggerRule({ type: 'Any', conditions: [] }, NS)).toEqual({ type: 'Any', conditions: [] });
  });
});

describe('rule helpers', () => {
  it('wrapTriggerInput wraps a single condition as All[condition]', () => {
    const c = trigger.taskFailed('a');
    expect(wrapTriggerInput(c)).toEqual({ type: 'All', conditions: [c] });
    expect(wrapTriggerInput(trigger.contextValue('k', 'Exists'))).toEqual({
      type: 'All',
      conditions: [{ type: 'ContextValue', key: 'k', operator: 'Exists' }],
    });
    const rule = trigger.any(c);
    expect(wrapTriggerInput(rule)).toBe(rule);
    expect(wrapTriggerInput('junk')).toBe('junk');
  });

  it('taskRefsOf and mapTaskRefs', () => {
    const rule = trigger.any(trigger.taskSuccess('a'), trigger.contextValue('k', 'Equals', 1), trigger.taskFailed('b'));
    expect(taskRefsOf(rule)).toEqual(['a', 'b']);
    expect(taskRefsOf(trigger.always())).toEqual([]);
    const mapped = mapTaskRefs(rule, (r) => `t::p::w::${r}`);
    expect(mapped).toEqual(
      trigger.any(trigger.taskSuccess('t::p::w::a'), trigger.contextValue('k', 'Equals', 1), trigger.taskFailed('t::p::w::b')),
    );
    expect(rule.conditions[0]).toEqual({ type: 'TaskSuccess', task_name: 'a' });
  });
});
