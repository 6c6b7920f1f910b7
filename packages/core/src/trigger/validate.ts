import { InvalidTriggerRuleError } from '../errors/index.js';
import { assertJsonValue, cloneJson, isPlainObject, type JsonValue } from '../json.js';
import {
  CONDITION_TYPES,
  CONTEXT_VALUE_OPERATORS,
  RULE_TYPES,
  VALUELESS_OPERATORS,
  isTaskCondition,
  type ContextValueOperator,
  type TriggerCondition,
  type TriggerRule,
} from './types.js';

/** Internal: carries the reason up to the one place that knows the task namespace. */
class ShapeError extends Error {}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'string' ? `'${value}'` : typeof value;
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new ShapeError(`${where} has an unexpected key '${key}'`);
  }
}

function checkCondition(raw: unknown, where: string): TriggerCondition {
  if (!isPlainObject(raw)) throw new ShapeError(`${where} must be an object (got ${describe(raw)})`);
  const type = raw['type'];
  if (typeof type !== 'string' || !(CONDITION_TYPES as readonly string[]).includes(type)) {
    throw new ShapeError(`${where} has an unknown type ${describe(type)}`);
  }
  if (type !== 'ContextValue') {
    checkKeys(raw, ['type', 'task_name'], where);
    const name = raw['task_name'];
    if (typeof name !== 'string' || name.length === 0) {
      throw new ShapeError(`${where} needs 'task_name' as a non-empty string (got ${describe(name)})`);
    }
    return { type, task_name: name } as TriggerCondition;
  }
  checkKeys(raw, ['type', 'key', 'operator', 'value'], where);
  const key = raw['key'];
  if (typeof key !== 'string') throw new ShapeError(`${where} needs 'key' as a string (got ${describe(key)})`);
  const operator = raw['operator'];
  if (typeof operator !== 'string' || !(CONTEXT_VALUE_OPERATORS as readonly string[]).includes(operator)) {
    throw new ShapeError(`${where} has an unknown operator ${describe(operator)}`);
  }
  const op = operator as ContextValueOperator;
  const value = raw['value'];
  if (VALUELESS_OPERATORS.includes(op)) {
    if (value !== undefined) throw new ShapeError(`${where}: operator ${op} takes no value`);
    return { type: 'ContextValue', key, operator: op };
  }
  if (value === undefined) throw new ShapeError(`${where}: operator ${op} requires a value`);
  try {
    assertJsonValue(value, 'value');
  } catch (err) {
    throw new ShapeError(`${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { type: 'ContextValue', key, operator: op, value: cloneJson(value as JsonValue) };
}

function checkRule(raw: unknown): TriggerRule {
  if (!isPlainObject(raw)) throw new ShapeError(`rule must be an object (got ${describe(raw)})`);
  const type = raw['type'];
  if (typeof type !== 'string' || !(RULE_TYPES as readonly string[]).includes(type)) {
    throw new ShapeError(`unknown rule type ${describe(type)}`);
  }
  if (type === 'Always') {
    checkKeys(raw, ['type'], 'rule Always');
    return { type: 'Always' };
  }
  checkKeys(raw, ['type', 'conditions'], `rule ${type}`);
  const conditions = raw['conditions'];
  if (!Array.isArray(conditions)) {
    throw new ShapeError(`rule ${type} needs 'conditions' as an array (got ${describe(conditions)})`);
  }
  const checked = conditions.map((c, i) => checkCondition(c, `condition ${i + 1}`));
  return { type: type as 'All' | 'Any' | 'None', conditions: checked };
}

/**
 * Checks a rule document against 03 §5.1 and returns a clean deep copy. Anything else —
 * unknown type or operator, extra keys, a missing or superfluous `value` — is an
 * InvalidTriggerRuleError for `taskNs`.
 */
export function validateTriggerRule(raw: unknown, taskNs: string): TriggerRule {
  try {
    return checkRule(raw);
  } catch (err) {
    if (err instanceof ShapeError) throw new InvalidTriggerRuleError(taskNs, err.message);
    throw err;
  }
}

/** Same as `validateTriggerRule`; reads a stored `trigger_rules` document (string or parsed). */
export function parseTriggerRule(json: string | unknown, taskNs: string): TriggerRule {
  let raw: unknown = json;
  if (typeof json === 'string') {
    try {
      raw = JSON.parse(json);
    } catch {
      throw new InvalidTriggerRuleError(taskNs, 'not valid JSON');
    }
  }
  return validateTriggerRule(raw, taskNs);
}

/** A single condition given where a rule is expected becomes `All[condition]` (03 §5.2). */
export function wrapTriggerInput(input: unknown): unknown {
  if (isPlainObject(input) && (CONDITION_TYPES as readonly unknown[]).includes(input['type'])) {
    return { type: 'All', conditions: [input] };
  }
  return input;
}

/** Task names referenced by the rule's task conditions, in order (duplicates kept). */
export function taskRefsOf(rule: TriggerRule): string[] {
  if (rule.type === 'Always') return [];
  return rule.conditions.filter(isTaskCondition).map((c) => c.task_name);
}

/** A copy of `rule` with every `task_name` passed through `resolve`. */
export function mapTaskRefs(rule: TriggerRule, resolve: (ref: string) => string): TriggerRule {
  if (rule.type === 'Always') return { type: 'Always' };
  const conditions = rule.conditions.map((c): TriggerCondition =>
    isTaskCondition(c) ? { type: c.type, task_name: resolve(c.task_name) } as TriggerCondition : cloneJson(c as JsonValue) as TriggerCondition,
  );
  return { type: rule.type, conditions };
}
