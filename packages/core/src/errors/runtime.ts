import { CloacinaError } from './base.js';
import { ValidationError } from './dal.js';

/** Thrown by task code to say whether a failure is worth retrying. */
export class TaskError extends CloacinaError {
  readonly transient: boolean | undefined;
  constructor(message: string, opts: { transient?: boolean; cause?: unknown } = {}) {
    super('TASK_ERROR', message, { cause: opts.cause });
    this.transient = opts.transient;
  }
}

export class TaskExecutionError extends CloacinaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TASK_EXECUTION', `Task execution failed: ${message}`, options);
  }
}

export class TaskTimeoutError extends CloacinaError {
  readonly transient = true;
  constructor(namespace: string, timeoutMs: number) {
    super('TASK_TIMEOUT', `Task execution timeout: '${namespace}' exceeded ${timeoutMs} ms`);
  }
}

export class PipelineTimeoutError extends CloacinaError {
  readonly executionId: string;
  constructor(executionId: string, timeoutMs: number) {
    super('PIPELINE_TIMEOUT', `Pipeline timeout after ${timeoutMs / 1000}s`);
    this.executionId = executionId;
  }
}

export class PipelineCancelledError extends CloacinaError {
  readonly executionId: string;
  constructor(executionId: string) {
    super('PIPELINE_CANCELLED', `Pipeline ${executionId} was cancelled`);
    this.executionId = executionId;
  }
}

export class RunnerShutdownError extends CloacinaError {
  constructor() {
    super('RUNNER_SHUTDOWN', 'Runner is shut down');
  }
}

export class InvalidCronExpressionError extends ValidationError {
  readonly expression: string;
  constructor(expression: string, reason: string) {
    super(`Invalid cron expression: ${expression}`, { code: 'INVALID_CRON_EXPRESSION', reason, field: 'cronExpression' });
    this.expression = expression;
  }
}

export class InvalidTimezoneError extends ValidationError {
  constructor(timezone: string) {
    super(`Invalid timezone: ${timezone}`, { code: 'INVALID_TIMEZONE', field: 'timezone' });
  }
}

export class CronNoNextRunError extends CloacinaError {
  constructor() {
    super('CRON_NO_NEXT_RUN', 'No next execution time found');
  }
}

export class PackageValidationError extends ValidationError {
  readonly errors: string[];
  readonly warnings: string[];
  constructor(errors: string[], warnings: string[]) {
    super(errors.length > 0 ? errors.join('; ') : warnings.join('; '), { code: 'PACKAGE_INVALID' });
    this.errors = errors;
    this.warnings = warnings;
  }
}

export class PackageNotFoundError extends CloacinaError {
  constructor(name: string, version: string) {
    super('PACKAGE_NOT_FOUND', `Package not found: ${name} v${version}`);
  }
}

export class PackageIntegrityError extends CloacinaError {
  constructor(name: string, version: string) {
    super('PACKAGE_INTEGRITY', `Package ${name} v${version}: metadata exists but its archive is missing`);
  }
}

export class PackageLoadError extends CloacinaError {
  constructor(name: string, version: string, why: string, options?: { cause?: unknown }) {
    super('PACKAGE_LOAD', `Failed to load package ${name} v${version}: ${why}`, options);
  }
}

export type StorageErrorReason = 'permission' | 'no_space' | 'io';

export class StorageError extends CloacinaError {
  readonly reason: StorageErrorReason;
  constructor(reason: StorageErrorReason, detail: string, options?: { cause?: unknown }) {
    super('STORAGE', `Registry storage error (${reason}): ${detail}`, options);
    this.reason = reason;
  }
}
