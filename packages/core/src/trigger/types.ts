import type { JsonValue } from '../json.js';

/** Same values as the canonical task status exported elsewhere in core. */
export type TaskStatusLike = 'NotStarted' | 'Ready' | 'Running' | 'Completed' | 'Failed' | 'Skipped';

export const CONTEXT_VALUE_OPERATORS = [
  'Exists',
  'NotExists',
  'Equals',
  'NotEquals',
  'GreaterThan',
  'LessThan',
  'Contains',
  'NotContains',
] as const;
export type ContextValueOperator = (typeof CONTEXT_VALUE_OPERATORS)[number];

/** Operators that compare against no `value`. */
export const VALUELESS_OPERATORS: readonly ContextValueOperator[] = ['Exists', 'NotExists'];

export const TASK_CONDITION_TYPES = ['TaskSuccess', 'TaskFailed', 'TaskSkipped'] as const;
export type TaskConditionType = (typeof TASK_CONDITION_TYPES)[number];

export type TaskCondition = { type: TaskConditionType; task_name: string };
export type TaskSuccessCondition = { type: 'TaskSuccess'; task_name: string };
export type TaskFailedCondition = { type: 'TaskFailed'; task_name: string };
export type TaskSkippedCondition = { type: 'TaskSkipped'; task_name: string };

export type ContextValueCondition = {
  type: 'ContextValue';
  key: string;
  operator: ContextValueOperator;
  value?: JsonValue;
};

export type TriggerCondition = TaskSuccessCondition | TaskFailedCondition | TaskSkippedCondition | ContextValueCondition;
export const CONDITION_TYPES = [...TASK_CONDITION_TYPES, 'ContextValue'] as const;

export type AlwaysRule = { type: 'Always' };
export type AllRule = { type: 'All'; conditions: TriggerCondition[] };
export type AnyRule = { type: 'Any'; conditions: TriggerCondition[] };
export type NoneRule = { type: 'None'; conditions: TriggerCondition[] };
/** The JSON document stored in `task_executions.trigger_rules` (03 §5.1). */
export type TriggerRule = AlwaysRule | AllRule | AnyRule | NoneRule;
export const RULE_TYPES = ['Always', 'All', 'Any', 'None'] as const;

/** What `task({ trigger })` accepts: a rule, or one condition (wrapped as `All[condition]`). */
export type TriggerInput = TriggerRule | TriggerCondition;

/** The status each task condition expects. */
export const EXPECTED_STATUS: Readonly<Record<TaskConditionType, TaskStatusLike>> = {
  TaskSuccess: 'Completed',
  TaskFailed: 'Failed',
  TaskSkipped: 'Skipped',
};

export function isTaskCondition(c: TriggerCondition): c is TaskSuccessCondition | TaskFailedCondition | TaskSkippedCondition {
  return c.type !== 'ContextValue';
}
