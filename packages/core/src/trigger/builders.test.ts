import { describe, expect, it } from 'vitest';
import { trigger } from './builders.js';

describe('trigger builders', () => {
  it('build the JSON documents of 5.1', () => {
    expect(trigger.always()).toEqual({ type: 'Always' });
    expect(trigger.taskSuccess('a')).toEqual({ type: 'TaskSuccess', task_name: 'a' });
    expect(trigger.taskFailed('t::p::w::a')).toEqual({ type: 'TaskFailed', task_name: 't::p::w::a' });
    expect(trigger.taskSkipped({ id: 'x' })).toEqual({ type: 'TaskSkipped', task_name: 'x' });
    expect(trigger.all(trigger.taskSuccess('a'), trigger.contextValue('k', 'Exists'))).toEqual({
      type: 'All',
      conditions: [
        { type: 'TaskSuccess', task_name: 'a' },
        { type: 'ContextValue', key: 'k', operator: 'Exists' },
      ],
    });
    expect(trigger.any()).toEqual({ type: 'Any', conditions: [] });
    expect(trigger.none(trigger.taskFailed('a'))).toEqual({ type: 'None', conditions: [{ type: 'TaskFailed', task_name: 'a' }] });
  });

  it('contextValue omits value only when undefined', () => {
    expect(trigger.contextValue('k', 'Equals', null)).toEqual({ type: 'ContextValue', key: 'k', operator: 'Equals', value: null });
    expect('value' in trigger.contextValue('k', 'NotExists')).toBe(false);
    expect(trigger.contextValue('n', 'GreaterThan', 3)).toEqual({ type: 'ContextValue', key: 'n', operator: 'GreaterThan', value: 3 });
  });

  it('produces plain JSON', () => {
    const rule = trigger.any(trigger.taskSuccess('a'), trigger.contextValue('k', 'Contains', ['x']));
    expect(JSON.parse(JSON.stringify(rule))).toEqual(rule);
  });
});
