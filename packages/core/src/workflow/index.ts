export { NAME_PATTERN, PACKAGE_NAME_PATTERN, isValidName, nameProblem, validateName, type NameKind } from './names.js';
export {
  NAMESPACE_SEPARATOR,
  compareNamespaces,
  formatNamespace,
  isNamespace,
  parseNamespace,
  type TaskNamespace,
} from './namespace.js';
export {
  MAX_TIMEOUT_MS,
  isTaskDefinition,
  task,
  validateTimeoutMs,
  type TaskDefinition,
  type TaskDependencyRef,
  type TaskLogger,
  type TaskOptions,
  type TaskRunFn,
  type TaskRunInfo,
  type TaskRunResult,
} from './task.js';
export {
  Workflow,
  workflow,
  type TaskConfiguration,
  type TaskSpec,
  type WorkflowOptions,
  type WorkflowTaskInfo,
} from './workflow.js';
export { codeFingerprint, computeWorkflowVersion, type VersionInput } from './version.js';
