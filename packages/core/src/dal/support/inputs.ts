/**
 * Validation and normalisation of the `New…` inputs of 02 §4 into complete, typed values with
 * every default applied. Pure: no clock, no ids, no I/O, so every DAL can validate a whole
 * call before its first write ("typed errors write nothing", 02 §1) and all three agree on
 * what is accepted.
 */
import { ValidationError } from '../../errors/index.js';
import type { NewPipelineWithTasks, NewTaskSpec, TaskNamespaceLike } from '../types.js';
import type { PipelineExecution, RecoveryEvent, TaskExecution, TaskExecutionMetadata, WorkflowPackage } from '../../models/records.js';
import { assertExecutionEventType, assertPipelineStatus, assertRecoveryType, assertStorageType, assertTaskStatus } from '../../models/vocabulary.js';
import { objectArg, optionalDate, optionalId, optionalJsonObject, optionalObjectArg } from './args.js';
import type { PendingEvent } from './events.js';
import { check } from './validate.js';

/** pipelineExecution.create (P2) with its defaults: version '1.0', status Pending. */
export type NewPipelineFields = Pick<PipelineExecution, 'pipelineName' | 'pipelineVersion' | 'status' | 'contextId'>;

export function newPipelineInput(input: unknown): NewPipelineFields {
  const i = objectArg(input, 'input');
  return {
    pipelineName: check.text(i.pipelineName, 'pipelineName'),
    pipelineVersion: i.pipelineVersion === undefined ? '1.0' : check.text(i.pipelineVersion, 'pipelineVersion'),
    status: i.status === undefined ? 'Pending' : assertPipelineStatus(i.status),
    contextId: optionalId(i.contextId, 'contextId'),
  };
}

/** createWithTasks (P1, T1): at least one task, unique task names, valid JSON everywhere. */
export function newRunInput(input: unknown): NewPipelineWithTasks {
  const i = objectArg(input, 'input');
  const pipelineName = check.text(i.pipelineName, 'pipelineName');
  const pipelineVersion = check.text(i.pipelineVersion, 'pipelineVersion');
  const inputContext = check.jsonObject(i.inputContext, 'inputContext');
  if (!Array.isArray(i.tasks) || i.tasks.length === 0) {
    throw new ValidationError('tasks must be a non-empty array', { field: 'tasks', reason: 'Empty' });
  }
  const seen = new Set<string>();
  const tasks = i.tasks.map((raw: unknown, n): NewTaskSpec => {
    const t = objectArg(raw, `tasks[${n}]`);
    const taskName = check.text(t.taskName, `tasks[${n}].taskName`);
    if (seen.has(taskName)) throw new ValidationError(`duplicate task name '${taskName}'`, { field: 'tasks', reason: 'DuplicateTaskName' });
    seen.add(taskName);
    return {
      taskName,
      maxAttempts: check.positiveInt(t.maxAttempts, `tasks[${n}].maxAttempts`),
      triggerRules: check.jsonObject(t.triggerRules, `tasks[${n}].triggerRules`),
      taskConfiguration: check.jsonObject(t.taskConfiguration, `tasks[${n}].taskConfiguration`),
    };
  });
  return { pipelineName, pipelineVersion, inputContext, tasks };
}

/**
 * taskExecution.create (T1 for one row) with its defaults (01 §1, "Other defaults").
 * `claimedBy` is set iff the status is Running (a Running task always has an owner).
 */
export type NewTaskFields = Pick<
  TaskExecution,
  'pipelineExecutionId' | 'taskName' | 'status' | 'attempt' | 'maxAttempts' | 'triggerRules' | 'taskConfiguration' | 'claimedBy'
>;

export function newTaskInput(input: unknown): NewTaskFields {
  const i = objectArg(input, 'input');
  const pipelineExecutionId = check.id(i.pipelineExecutionId, 'pipelineExecutionId');
  const taskName = check.text(i.taskName, 'taskName');
  const status = i.status === undefined ? 'NotStarted' : assertTaskStatus(i.status);
  const attempt = i.attempt === undefined ? 1 : check.positiveInt(i.attempt, 'attempt');
  const maxAttempts = i.maxAttempts === undefined ? 1 : check.positiveInt(i.maxAttempts, 'maxAttempts');
  const triggerRules = i.triggerRules === undefined ? { type: 'Always' } : check.jsonObject(i.triggerRules, 'triggerRules');
  const taskConfiguration = i.taskConfiguration === undefined ? {} : check.jsonObject(i.taskConfiguration, 'taskConfiguration');
  const given = i.claimedBy !== undefined && i.claimedBy !== null;
  let claimedBy: string | null = null;
  if (status === 'Running') {
    if (!given) throw new ValidationError('claimedBy is required for a Running task', { field: 'claimedBy', reason: 'Required' });
    claimedBy = check.text(i.claimedBy, 'claimedBy');
  } else if (given) {
    throw new ValidationError('claimedBy is only allowed for status Running', { field: 'claimedBy', reason: 'NotAllowed' });
  }
  return { pipelineExecutionId, taskName, status, attempt, maxAttempts, triggerRules, taskConfiguration, claimedBy };
}

/** taskExecutionMetadata.create / upsertTaskExecutionMetadata. */
export type NewMetadataFields = Omit<TaskExecutionMetadata, 'id' | 'createdAt' | 'updatedAt'>;

export function newMetadataInput(input: unknown): NewMetadataFields {
  const i = objectArg(input, 'input');
  return {
    taskExecutionId: check.id(i.taskExecutionId, 'taskExecutionId'),
    pipelineExecutionId: check.id(i.pipelineExecutionId, 'pipelineExecutionId'),
    taskName: check.text(i.taskName, 'taskName'),
    contextId: optionalId(i.contextId, 'contextId'),
  };
}

/** The task argument of getByPipelineAndTask: a name, or a TaskNamespace rendered `tenant::package::workflow::task`. */
export function metadataTaskName(task: unknown): string {
  if (typeof task === 'string') return check.text(task, 'task', { min: 0 });
  if (task === null || typeof task !== 'object' || Array.isArray(task)) {
    throw new ValidationError('task must be a task name or a TaskNamespace', { field: 'task' });
  }
  const t = task as Partial<TaskNamespaceLike>;
  return [t.tenantId, t.packageName, t.workflowId, t.taskId].map((p, n) => check.text(p, `task[${n}]`, { min: 0 })).join('::');
}

/** recoveryEvent.create. */
export type NewRecoveryEventFields = Omit<RecoveryEvent, 'id' | 'recoveredAt' | 'createdAt' | 'updatedAt'>;

export function newRecoveryEventInput(input: unknown): NewRecoveryEventFields {
  const i = objectArg(input, 'input');
  return {
    pipelineExecutionId: check.id(i.pipelineExecutionId, 'pipelineExecutionId'),
    taskExecutionId: optionalId(i.taskExecutionId, 'taskExecutionId'),
    recoveryType: assertRecoveryType(i.recoveryType, 'recoveryType'),
    details: optionalJsonObject(i.details, 'details'),
  };
}

/**
 * executionEvent.create (a manual append). An omitted runnerId means the DAL's configured
 * runner id (`defaultRunnerId`); an explicit null means no runner.
 */
export function newExecutionEventInput(input: unknown, defaultRunnerId: string | null): PendingEvent {
  const i = objectArg(input, 'input');
  return {
    pipelineExecutionId: check.id(i.pipelineExecutionId, 'pipelineExecutionId'),
    taskExecutionId: optionalId(i.taskExecutionId, 'taskExecutionId'),
    eventType: assertExecutionEventType(i.eventType, 'eventType'),
    eventData: optionalJsonObject(i.eventData, 'eventData'),
    runnerId: i.runnerId === undefined ? defaultRunnerId : i.runnerId === null ? null : check.text(i.runnerId, 'runnerId'),
  };
}

/**
 * storePackageMetadata: the columns taken from the manifest (02 §4.9), and the whole
 * manifest, validated as storable JSON, as `metadata`.
 */
export type PackageMetadataFields = Omit<WorkflowPackage, 'id' | 'createdAt' | 'updatedAt'>;

export function packageMetadataInput(registryId: unknown, manifest: unknown, storageType: unknown): PackageMetadataFields {
  const registry = check.id(registryId, 'registryId');
  const metadata = check.jsonObject(manifest, 'manifest');
  return {
    registryId: registry,
    // The column CHECKs of 01 §4.10, refused here as ValidationError rather than ConstraintError.
    packageName: check.text(metadata.name, 'manifest.name', { max: 255 }),
    version: check.text(metadata.version, 'manifest.version', { max: 100 }),
    description: check.optionalText(metadata.description, 'manifest.description'),
    author: check.optionalText(metadata.author, 'manifest.author', 255),
    metadata,
    storageType: assertStorageType(storageType, 'storageType'),
  };
}

/** executionEvent.getByType options: since (inclusive) none, limit 100, offset 0 by default. */
export function eventQueryOptions(opts: unknown): { since: Date | null; limit: number; offset: number } {
  const o = optionalObjectArg(opts, 'opts');
  return {
    since: optionalDate(o.since, 'since'),
    limit: o.limit === undefined ? 100 : check.limit(o.limit, 'limit'),
    offset: o.offset === undefined ? 0 : check.limit(o.offset, 'offset'),
  };
}
