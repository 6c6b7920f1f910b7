import type { Context } from '../context.js';
import { ValidationError } from '../errors/index.js';
import { isPlainObject, type JsonObject } from '../json.js';
import type { RetryPolicyInput } from '../retry/policy.js';
import type { TriggerInput, TriggerRule } from '../trigger/types.js';
import { wrapTriggerInput } from '../trigger/validate.js';
import { validateName } from './names.js';

/** Minimal structured logger handed to task code. */
export interface TaskLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface TaskRunInfo {
  signal: AbortSignal;
  taskId: string;
  namespace: string;
  workflowName: string;
  pipelineExecutionId: string;
  taskExecutionId: string;
  attempt: number;
  maxAttempts: number;
  runnerId: string;
  logger: TaskLogger;
}

export type TaskRunResult = Context | JsonObject | void | undefined;
export type TaskRunFn = (ctx: Context, info: TaskRunInfo) => TaskRunResult | Promise<TaskRunResult>;

/** A dependency: short id, full namespace, or a task object (its id is used). */
export type TaskDependencyRef = string | { readonly id: string };

export interface TaskOptions {
  id: string;
  dependencies?: readonly TaskDependencyRef[];
  retry?: RetryPolicyInput;
  trigger?: TriggerInput;
  timeoutMs?: number;
  description?: string;
  run: TaskRunFn;
}

/**
 * A frozen task definition. `dependencies` holds references as strings (ids or namespaces);
 * `retry` and `trigger` are kept as given (a single condition already wrapped as `All[...]`)
 * and are validated and resolved by `workflow()`, whose errors name the task's namespace.
 */
export interface TaskDefinition {
  readonly id: string;
  readonly dependencies: readonly string[];
  readonly retry?: Readonly<RetryPolicyInput>;
  readonly trigger?: TriggerRule;
  readonly timeoutMs?: number;
  readonly description?: string;
  readonly run: TaskRunFn;
}

export const MAX_TIMEOUT_MS = 2_147_483_647;

/** Definitions made by `task()`, so `workflow()` can tell them from plain option objects. */
const DEFINITIONS = new WeakSet<object>();

export function isTaskDefinition(value: unknown): value is TaskDefinition {
  return typeof value === 'object' && value !== null && DEFINITIONS.has(value);
}

const OPTION_KEYS = ['id', 'dependencies', 'retry', 'trigger', 'timeoutMs', 'description', 'run'];

/**
 * Positive integer ≤ 2^31−1 (the largest delay `setTimeout` honours). `label` names the task
 * (its id here, its namespace in `workflow()`).
 */
export function validateTimeoutMs(value: unknown, label: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    const shown = typeof value === 'number' ? String(value) : typeof value;
    throw new ValidationError(
      `Invalid timeoutMs for task '${label}': must be a positive integer <= ${MAX_TIMEOUT_MS} (got ${shown})`,
      { field: 'timeoutMs', reason: 'InvalidTimeout' },
    );
  }
  return value;
}

/** Copies plain objects/arrays recursively and freezes them; other values are kept as they are. */
function frozenCopy<T>(value: T): T {
  if (Array.isArray(value)) return Object.freeze(value.map((v) => frozenCopy(v))) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: frozenCopy(v), enumerable: true });
    return Object.freeze(out) as T;
  }
  return value;
}

/** Normalises one dependency reference to a string, or explains why it cannot. */
export function dependencyRefName(dep: unknown, taskLabel: string, index: number): string {
  if (typeof dep === 'string' && dep.length > 0) return dep;
  if (dep !== null && typeof dep === 'object' && typeof (dep as { id?: unknown }).id === 'string') {
    return (dep as { id: string }).id;
  }
  throw new ValidationError(
    `Task '${taskLabel}': dependency ${index + 1} must be a task id, a namespace or a task object`,
    { field: 'dependencies', reason: 'InvalidDependency' },
  );
}

/** Defines a task (03 §3.1). */
export function task(options: TaskOptions): TaskDefinition {
  if (!isPlainObject(options)) throw new ValidationError('task() needs an options object', { field: 'task' });
  const unknown = Object.keys(options).find((k) => !OPTION_KEYS.includes(k));
  const id = validateName('task', options.id);
  if (unknown !== undefined) {
    throw new ValidationError(`Task '${id}': unknown option '${unknown}'`, { field: unknown, reason: 'UnknownOption' });
  }
  if (typeof options.run !== 'function') {
    throw new ValidationError(`Task '${id}' needs a run function`, { field: 'run', reason: 'MissingRun' });
  }
  const deps = options.dependencies ?? [];
  if (!Array.isArray(deps)) {
    throw new ValidationError(`Task '${id}': dependencies must be an array`, { field: 'dependencies' });
  }
  if (options.description !== undefined && typeof options.description !== 'string') {
    throw new ValidationError(`Task '${id}': description must be a string`, { field: 'description' });
  }
  const timeoutMs = validateTimeoutMs(options.timeoutMs, id);
  const def: {
    -readonly [K in keyof TaskDefinition]: TaskDefinition[K];
  } = {
    id,
    dependencies: Object.freeze(deps.map((d, i) => dependencyRefName(d, id, i))),
    run: options.run,
  };
  if (options.retry !== undefined) def.retry = frozenCopy(options.retry);
  if (options.trigger !== undefined) def.trigger = frozenCopy(wrapTriggerInput(options.trigger) as TriggerRule);
  if (timeoutMs !== undefined) def.timeoutMs = timeoutMs;
  if (options.description !== undefined) def.description = options.description;
  Object.freeze(def);
  DEFINITIONS.add(def);
  return def;
}
