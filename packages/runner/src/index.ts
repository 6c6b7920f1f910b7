/**
 * @cloacina/runner — the DefaultRunner and everything needed to define workflows, so an
 * application imports from one place:
 *
 * ```ts
 * import { DefaultRunner, task, workflow, trigger } from '@cloacina/runner';
 * ```
 */
export { DefaultRunner } from './runner.js';
export { RUNNER_DEFAULTS, type DefaultRunnerOptions } from './options.js';
export type { ExecuteOptions, PipelineExecutionHandle } from './handle.js';
export type { PipelineResult, TaskResult, PipelineStatus, TaskStatus } from './results.js';
export type { RunInput } from './start-run.js';
export {
  RUNNER_EVENT_NAMES,
  type RunnerEventMap,
  type RunnerEventName,
  type RunnerEventListener,
  type PipelineEventBase,
  type TaskEventBase,
} from './events.js';
export { consoleLogger, type LogLevel, type Logger } from './logger.js';

// The definition API of core, so users need a single import.
export {
  Context,
  TaskError,
  Workflow,
  task,
  trigger,
  workflow,
  type JsonObject,
  type JsonValue,
  type RetryPolicyInput,
  type TaskDefinition,
  type TaskOptions,
  type TaskRunInfo,
  type TriggerRule,
  type WorkflowOptions,
} from '@cloacina/core';
// Errors a caller of the runner may want to catch by class.
export {
  ClaimLostError,
  CloacinaError,
  ConfigurationError,
  CyclicDependencyError,
  DatabaseError,
  DuplicateTaskError,
  EmptyWorkflowError,
  InvalidNameError,
  InvalidRetryPolicyError,
  InvalidTriggerRuleError,
  MissingDependencyError,
  NotFoundError,
  PipelineCancelledError,
  PipelineTimeoutError,
  RunnerShutdownError,
  TaskExecutionError,
  TaskNotFoundError,
  TaskTimeoutError,
  ValidationError,
  WorkflowConflictError,
  WorkflowNotFoundError,
} from '@cloacina/core';
