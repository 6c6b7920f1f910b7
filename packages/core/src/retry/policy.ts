import { InvalidRetryPolicyError } from '../errors/index.js';
import { isPlainObject } from '../json.js';

export type BackoffShorthand = 'fixed' | 'linear' | 'exponential';
export type BackoffStrategy =
  | { type: 'Fixed' }
  | { type: 'Linear'; multiplier: number }
  | { type: 'Exponential'; base: number; multiplier: number };
/** Object forms may omit `base` (2) and `multiplier` (1), like the shorthands. */
export type BackoffInput =
  | BackoffShorthand
  | { type: 'Fixed' }
  | { type: 'Linear'; multiplier?: number }
  | { type: 'Exponential'; base?: number; multiplier?: number };

export type RetryCondition =
  | { type: 'AllErrors' }
  | { type: 'Never' }
  | { type: 'TransientOnly' }
  | { type: 'ErrorPattern'; patterns: string[] };
export type RetryConditionInput = 'AllErrors' | 'Never' | 'TransientOnly' | RetryCondition;

/** What task definitions accept (03 §4.1); every field is optional. */
export interface RetryPolicyInput {
  maxAttempts?: number;
  backoff?: BackoffInput;
  initialDelayMs?: number;
  maxDelayMs?: number;
  jitter?: boolean;
  conditions?: RetryConditionInput[];
}

/** A complete, validated policy (camelCase, used by the runtime). */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly backoff: BackoffStrategy;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: boolean;
  readonly conditions: readonly RetryCondition[];
}

/** The document stored in `task_configuration.retry_policy`. */
export type StoredRetryPolicy = {
  max_attempts: number;
  backoff_strategy: BackoffStrategy;
  initial_delay_ms: number;
  max_delay_ms: number;
  jitter: boolean;
  retry_conditions: RetryCondition[];
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  backoff: Object.freeze({ type: 'Exponential', base: 2, multiplier: 1 }),
  initialDelayMs: 1000,
  maxDelayMs: 60_000,
  jitter: true,
  conditions: Object.freeze([Object.freeze({ type: 'AllErrors' })]),
} as RetryPolicy);

/** Internal: carries the reason to the one place that knows the task namespace. */
class PolicyProblem extends Error {}

const INPUT_KEYS = ['maxAttempts', 'backoff', 'initialDelayMs', 'maxDelayMs', 'jitter', 'conditions'];

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || typeof v !== 'object') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return Array.isArray(v) ? 'array' : 'object';
  }
}

function integer(name: string, v: unknown, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new PolicyProblem(`${name} must be an integer >= ${min} (got ${show(v)})`);
  }
  return v;
}

function factor(name: string, v: unknown, fallback: number, min: number, inclusive: boolean): number {
  if (v === undefined) return fallback;
  const ok = typeof v === 'number' && Number.isFinite(v) && (inclusive ? v >= min : v > min);
  if (!ok) throw new PolicyProblem(`${name} must be a finite number ${inclusive ? '>=' : '>'} ${min} (got ${show(v)})`);
  return v as number;
}

function backoffOf(v: unknown): BackoffStrategy {
  if (v === undefined || v === 'exponential') return { type: 'Exponential', base: 2, multiplier: 1 };
  if (v === 'fixed') return { type: 'Fixed' };
  if (v === 'linear') return { type: 'Linear', multiplier: 1 };
  if (!isPlainObject(v)) throw new PolicyProblem(`unknown backoff ${show(v)}`);
  const allowed: Record<string, string[]> = {
    Fixed: ['type'],
    Linear: ['type', 'multiplier'],
    Exponential: ['type', 'base', 'multiplier'],
  };
  const keys = allowed[String(v['type'])];
  if (typeof v['type'] !== 'string' || keys === undefined) throw new PolicyProblem(`unknown backoff type ${show(v['type'])}`);
  const extra = Object.keys(v).find((k) => !keys.includes(k));
  if (extra !== undefined) throw new PolicyProblem(`backoff ${v['type']} has an unexpected key '${extra}'`);
  if (v['type'] === 'Fixed') return { type: 'Fixed' };
  const multiplier = factor('backoff multiplier', v['multiplier'], 1, 0, false);
  if (v['type'] === 'Linear') return { type: 'Linear', multiplier };
  return { type: 'Exponential', base: factor('backoff base', v['base'], 2, 1, true), multiplier };
}

function conditionOf(v: unknown, i: number): RetryCondition {
  if (v === 'AllErrors' || v === 'Never' || v === 'TransientOnly') return { type: v };
  if (!isPlainObject(v)) throw new PolicyProblem(`condition ${i + 1} is not a retry condition (got ${show(v)})`);
  const type = v['type'];
  const keys = type === 'ErrorPattern' ? ['type', 'patterns'] : ['type'];
  if (type === 'AllErrors' || type === 'Never' || type === 'TransientOnly' || type === 'ErrorPattern') {
    const extra = Object.keys(v).find((k) => !keys.includes(k));
    if (extra !== undefined) throw new PolicyProblem(`condition ${i + 1} has an unexpected key '${extra}'`);
  }
  if (type === 'AllErrors' || type === 'Never' || type === 'TransientOnly') return { type };
  if (type !== 'ErrorPattern') throw new PolicyProblem(`condition ${i + 1} has an unknown type ${show(type)}`);
  const patterns = v['patterns'];
  if (!Array.isArray(patterns) || patterns.length === 0) {
    throw new PolicyProblem(`condition ${i + 1} (ErrorPattern) needs a non-empty 'patterns' array`);
  }
  if (!patterns.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new PolicyProblem(`condition ${i + 1} (ErrorPattern) patterns must be non-empty strings`);
  }
  return { type: 'ErrorPattern', patterns: [...(patterns as string[])] };
}

function conditionsOf(v: unknown): RetryCondition[] {
  if (v === undefined) return [{ type: 'AllErrors' }];
  if (!Array.isArray(v) || v.length === 0) throw new PolicyProblem(`conditions must be a non-empty array (got ${show(v)})`);
  return v.map(conditionOf);
}

function build(fields: Record<string, unknown>): RetryPolicy {
  const jitter = fields['jitter'];
  if (jitter !== undefined && typeof jitter !== 'boolean') throw new PolicyProblem(`jitter must be a boolean (got ${show(jitter)})`);
  return {
    maxAttempts: integer('maxAttempts', fields['maxAttempts'], 3, 1),
    backoff: backoffOf(fields['backoff']),
    initialDelayMs: integer('initialDelayMs', fields['initialDelayMs'], 1000, 0),
    maxDelayMs: integer('maxDelayMs', fields['maxDelayMs'], 60_000, 0),
    jitter: jitter ?? true,
    conditions: conditionsOf(fields['conditions']),
  };
}

function withTask<T>(taskNs: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PolicyProblem) throw new InvalidRetryPolicyError(taskNs, err.message);
    throw err;
  }
}

/** Validates `input` (03 §4.1) and fills in defaults; InvalidRetryPolicyError names `taskNs`. */
export function resolveRetryPolicy(input: RetryPolicyInput | undefined, taskNs = '<unknown>'): RetryPolicy {
  return withTask(taskNs, () => {
    if (input === undefined) return build({});
    if (!isPlainObject(input)) throw new PolicyProblem(`policy must be an object (got ${show(input)})`);
    const extra = Object.keys(input).find((k) => !INPUT_KEYS.includes(k));
    if (extra !== undefined) throw new PolicyProblem(`unknown option '${extra}'`);
    return build(input);
  });
}

/** The stored (snake_case) form, with keys in the documented order. */
export function toStoredRetryPolicy(policy: RetryPolicy): StoredRetryPolicy {
  return {
    max_attempts: policy.maxAttempts,
    backoff_strategy: { ...policy.backoff },
    initial_delay_ms: policy.initialDelayMs,
    max_delay_ms: policy.maxDelayMs,
    jitter: policy.jitter,
    retry_conditions: policy.conditions.map((c) => (c.type === 'ErrorPattern' ? { type: c.type, patterns: [...c.patterns] } : { type: c.type })),
  };
}

/** Input → validated stored form (what `task_configuration.retry_policy` holds). */
export function normalizeRetryPolicy(input: RetryPolicyInput | undefined, taskNs = '<unknown>'): StoredRetryPolicy {
  return toStoredRetryPolicy(resolveRetryPolicy(input, taskNs));
}

/**
 * Reads a stored policy back. Absent (undefined/null) means the default policy (01 §6.2), and so
 * does each absent field; present fields are validated like the input form.
 */
export function parseStoredRetryPolicy(stored: unknown, taskNs = '<unknown>'): RetryPolicy {
  return withTask(taskNs, () => {
    if (stored === undefined || stored === null) return build({});
    if (!isPlainObject(stored)) throw new PolicyProblem(`stored policy must be an object (got ${show(stored)})`);
    return build({
      maxAttempts: stored['max_attempts'],
      backoff: stored['backoff_strategy'],
      initialDelayMs: stored['initial_delay_ms'],
      maxDelayMs: stored['max_delay_ms'],
      jitter: stored['jitter'],
      conditions: stored['retry_conditions'],
    });
  });
}

/** Accepts either form, so runtime helpers work on what they were given. */
export function toRetryPolicy(policy: RetryPolicy | StoredRetryPolicy): RetryPolicy {
  return 'max_attempts' in policy ? parseStoredRetryPolicy(policy) : policy;
}
