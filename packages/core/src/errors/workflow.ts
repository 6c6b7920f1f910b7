import { CloacinaError } from './base.js';
import { ValidationError } from './dal.js';

export class ContextKeyExistsError extends CloacinaError {
  readonly key: string;
  constructor(key: string) {
    super('CONTEXT_KEY_EXISTS', `Key already exists: ${key}`);
    this.key = key;
  }
}

export class ContextKeyNotFoundError extends CloacinaError {
  readonly key: string;
  constructor(key: string) {
    super('CONTEXT_KEY_NOT_FOUND', `Key not found: ${key}`);
    this.key = key;
  }
}

export class InvalidNameError extends ValidationError {
  readonly kind: string;
  readonly value: string;
  constructor(kind: string, value: string, rule: string) {
    super(`Invalid ${kind} name '${value}': ${rule}`, { code: 'INVALID_NAME', field: kind });
    this.kind = kind;
    this.value = value;
  }
}

export class InvalidNamespaceError extends ValidationError {
  constructor(value: string) {
    super(`Invalid namespace format '${value}'. Expected 'tenant::package::workflow::task'`, {
      code: 'INVALID_NAMESPACE',
    });
  }
}

export class EmptyWorkflowError extends ValidationError {
  constructor() {
    super('Workflow cannot be empty', { code: 'EMPTY_WORKFLOW' });
  }
}

export class DuplicateTaskError extends ValidationError {
  readonly namespace: string;
  constructor(namespace: string) {
    super(`Duplicate task: ${namespace}`, { code: 'DUPLICATE_TASK' });
    this.namespace = namespace;
  }
}

export class MissingDependencyError extends ValidationError {
  readonly task: string;
  readonly dependency: string;
  constructor(task: string, dependency: string) {
    super(`Missing dependency: task '${task}' depends on '${dependency}' which is not registered`, {
      code: 'MISSING_DEPENDENCY',
    });
    this.task = task;
    this.dependency = dependency;
  }
}

export class CyclicDependencyError extends ValidationError {
  /** Namespaces along the cycle, the first one repeated last. */
  readonly cycle: string[];
  constructor(cycle: string[]) {
    super(`Circular dependency detected: ${cycle.join(' -> ')}`, { code: 'CYCLIC_DEPENDENCY' });
    this.cycle = cycle;
  }
}

export class InvalidTriggerRuleError extends ValidationError {
  constructor(task: string, why: string) {
    super(`Invalid trigger rule for task '${task}': ${why}`, { code: 'INVALID_TRIGGER_RULE' });
  }
}

export class InvalidRetryPolicyError extends ValidationError {
  constructor(task: string, why: string) {
    super(`Invalid retry policy for task '${task}': ${why}`, { code: 'INVALID_RETRY_POLICY' });
  }
}

export class TaskNotFoundError extends CloacinaError {
  readonly namespace: string;
  /** `inRegistry` selects the catalogue wording ("in registry") over the workflow wording. */
  constructor(namespace: string, inRegistry = false) {
    super('TASK_NOT_FOUND', inRegistry ? `Task not found in registry: ${namespace}` : `Task not found: ${namespace}`);
    this.namespace = namespace;
  }
}

export class WorkflowNotFoundError extends CloacinaError {
  readonly workflowName: string;
  constructor(workflowName: string) {
    super('WORKFLOW_NOT_FOUND', `Workflow not found in registry: ${workflowName}`);
    this.workflowName = workflowName;
  }
}

export class WorkflowConflictError extends CloacinaError {
  readonly workflowName: string;
  constructor(workflowName: string, providedBy: string) {
    super('WORKFLOW_CONFLICT', `Workflow '${workflowName}' is already provided by ${providedBy}`);
    this.workflowName = workflowName;
  }
}
