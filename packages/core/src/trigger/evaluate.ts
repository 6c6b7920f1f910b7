import { jsonEqual, type JsonObject, type JsonValue } from '../json.js';
import {
  EXPECTED_STATUS,
  isTaskCondition,
  type ContextValueCondition,
  type TaskStatusLike,
  type TriggerCondition,
  type TriggerRule,
} from './types.js';

export const TRIGGER_SKIP_PREFIX = 'Trigger rules not satisfied: ';

/** What the evaluator may look at: the statuses of this run's rows and the prospective input. */
export interface TriggerEvaluationInput {
  /** Status of the row for namespace `ns` in this run; undefined when there is no such row. */
  taskStatus(ns: string): TaskStatusLike | undefined;
  /** The task's prospective input context (03 §6). */
  context: JsonObject;
}

export type TriggerEvaluation = { satisfied: true } | { satisfied: false; reason: string };

interface ConditionOutcome {
  value: boolean;
  description: string;
}

function lookup(context: JsonObject, key: string): { present: boolean; actual: JsonValue | undefined } {
  const present = Object.prototype.hasOwnProperty.call(context, key);
  return { present, actual: present ? context[key] : undefined };
}

function contains(actual: JsonValue | undefined, value: JsonValue | undefined): boolean {
  if (typeof actual === 'string' && typeof value === 'string') return actual.includes(value);
  if (Array.isArray(actual)) return actual.some((el) => jsonEqual(el, value));
  return false;
}

/** The operator table of 03 §5.4. */
export function evaluateContextOperator(
  operator: ContextValueCondition['operator'],
  present: boolean,
  actual: JsonValue | undefined,
  value: JsonValue | undefined,
): boolean {
  switch (operator) {
    case 'Exists':
      return present;
    case 'NotExists':
      return !present;
    case 'Equals':
      return present && jsonEqual(actual, value);
    case 'NotEquals':
      return !(present && jsonEqual(actual, value));
    case 'GreaterThan':
      return typeof actual === 'number' && typeof value === 'number' && actual > value;
    case 'LessThan':
      return typeof actual === 'number' && typeof value === 'number' && actual < value;
    case 'Contains':
      return present && contains(actual, value);
    case 'NotContains':
      return !(present && contains(actual, value));
  }
}

function evaluateCondition(c: TriggerCondition, input: TriggerEvaluationInput): ConditionOutcome {
  if (isTaskCondition(c)) {
    const expected = EXPECTED_STATUS[c.type];
    const status = input.taskStatus(c.task_name);
    if (status === undefined) {
      return { value: false, description: `upstream task '${c.task_name}' has no execution row` };
    }
    const value = status === expected;
    // "…, not <Expected>" only makes sense when the condition is false.
    const description = value
      ? `upstream task '${c.task_name}' is ${status}`
      : `upstream task '${c.task_name}' is ${status}, not ${expected}`;
    return { value, description };
  }
  const { present, actual } = lookup(input.context, c.key);
  const value = evaluateContextOperator(c.operator, present, actual, c.value);
  const expectedText = c.value === undefined ? '' : ` ${JSON.stringify(c.value)}`;
  const actualText = present ? JSON.stringify(actual) : 'absent';
  return { value, description: `context '${c.key}' ${c.operator}${expectedText} (actual: ${actualText})` };
}

function unsatisfied(text: string): TriggerEvaluation {
  return { satisfied: false, reason: TRIGGER_SKIP_PREFIX + text };
}

/**
 * Pure evaluation of a (validated, namespace-resolved) rule. Conditions are evaluated in order;
 * `All` and `None` stop at the first deciding condition, so the reason names it.
 */
export function evaluateTriggerRule(rule: TriggerRule, input: TriggerEvaluationInput): TriggerEvaluation {
  switch (rule.type) {
    case 'Always':
      return { satisfied: true };
    case 'All': {
      for (const c of rule.conditions) {
        const outcome = evaluateCondition(c, input);
        if (!outcome.value) return unsatisfied(outcome.description);
      }
      return { satisfied: true };
    }
    case 'Any': {
      const descriptions: string[] = [];
      for (const c of rule.conditions) {
        const outcome = evaluateCondition(c, input);
        if (outcome.value) return { satisfied: true };
        descriptions.push(outcome.description);
      }
      return unsatisfied(`none of: ${descriptions.length > 0 ? descriptions.join('; ') : '(no conditions)'}`);
    }
    case 'None': {
      for (const c of rule.conditions) {
        const outcome = evaluateCondition(c, input);
        if (outcome.value) return unsatisfied(`unexpectedly satisfied: ${outcome.description}`);
      }
      return { satisfied: true };
    }
  }
}
