import type { JsonValue } from '../json.js';
import type {
  AllRule,
  AlwaysRule,
  AnyRule,
  ContextValueCondition,
  ContextValueOperator,
  NoneRule,
  TaskFailedCondition,
  TaskSkippedCondition,
  TaskSuccessCondition,
  TriggerCondition,
} from './types.js';

/**
 * A task reference: a short id, a full namespace, or a task object (its id is used). Short ids
 * become namespaces when `workflow()` resolves the rule.
 */
export type TaskRef = string | { readonly id: string };

function refName(ref: TaskRef): string {
  return typeof ref === 'string' ? ref : ref.id;
}

/** Builders for the trigger rule documents of 03 §5.1. */
export const trigger = {
  always(): AlwaysRule {
    return { type: 'Always' };
  },
  all(...conditions: TriggerCondition[]): AllRule {
    return { type: 'All', conditions };
  },
  any(...conditions: TriggerCondition[]): AnyRule {
    return { type: 'Any', conditions };
  },
  none(...conditions: TriggerCondition[]): NoneRule {
    return { type: 'None', conditions };
  },
  taskSuccess(ref: TaskRef): TaskSuccessCondition {
    return { type: 'TaskSuccess', task_name: refName(ref) };
  },
  taskFailed(ref: TaskRef): TaskFailedCondition {
    return { type: 'TaskFailed', task_name: refName(ref) };
  },
  taskSkipped(ref: TaskRef): TaskSkippedCondition {
    return { type: 'TaskSkipped', task_name: refName(ref) };
  },
  /** `value` is omitted from the document when undefined (as `Exists`/`NotExists` require). */
  contextValue(key: string, operator: ContextValueOperator, value?: JsonValue): ContextValueCondition {
    return value === undefined ? { type: 'ContextValue', key, operator } : { type: 'ContextValue', key, operator, value };
  },
} as const;
