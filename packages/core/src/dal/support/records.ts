/**
 * Complete records of the rows a call inserts, built from normalised inputs, the ids drawn
 * for the call and its one `now` (01 §1). Every column is given explicitly, so the same clock
 * and id sequence give byte-identical rows in every DAL. A record shares no Date or JSON
 * object with the caller or with another field, so it can be returned as is.
 */
import { cloneJson, type JsonObject } from '../../json.js';
import type * as M from '../../models/records.js';
import { isTerminalPipelineStatus, isTerminalTaskStatus } from '../../models/vocabulary.js';
import type { NewPipelineWithTasks } from '../types.js';
import type { NewCronExecutionFields, NewCronScheduleFields } from './cron-inputs.js';
import { orderEvents, type PendingEvent } from './events.js';
import type { NewMetadataFields, NewPipelineFields, NewRecoveryEventFields, NewTaskFields, PackageMetadataFields } from './inputs.js';

/** A fresh Date per field: a caller mutating one field never changes another. */
export const copyDate = (d: Date): Date => new Date(d.getTime());

const copyOrNull = (d: Date | null): Date | null => (d === null ? null : copyDate(d));

export function contextRecord(id: string, value: JsonObject, now: Date): M.ContextRecord {
  return { id, value: cloneJson(value), createdAt: copyDate(now), updatedAt: copyDate(now) };
}

/**
 * The context row the hot paths store for a value (input, output, final context): none for
 * an empty object, whose reference stays NULL; the id is drawn only when there is a row.
 */
export function nonEmptyContextRecord(value: JsonObject, now: Date, newId: () => string): M.ContextRecord | null {
  return Object.keys(value).length > 0 ? contextRecord(newId(), value, now) : null;
}

/** P2 (and P1 with status Pending): started now; completed now only if created terminal. */
export function pipelineRecord(id: string, p: NewPipelineFields, now: Date): M.PipelineExecution {
  return {
    id,
    pipelineName: p.pipelineName,
    pipelineVersion: p.pipelineVersion,
    status: p.status,
    contextId: p.contextId,
    finalContextId: null,
    startedAt: copyDate(now),
    completedAt: isTerminalPipelineStatus(p.status) ? copyDate(now) : null,
    errorDetails: null,
    recoveryAttempts: 0,
    lastRecoveryAt: null,
    createdAt: copyDate(now),
    updatedAt: copyDate(now),
  };
}

/** T1: a Running task starts with a fresh lease; a terminal one is completed now. */
export function taskRecord(id: string, t: NewTaskFields, now: Date): M.TaskExecution {
  const running = t.status === 'Running';
  return {
    id,
    pipelineExecutionId: t.pipelineExecutionId,
    taskName: t.taskName,
    status: t.status,
    startedAt: running ? copyDate(now) : null,
    completedAt: isTerminalTaskStatus(t.status) ? copyDate(now) : null,
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    errorDetails: null,
    triggerRules: cloneJson(t.triggerRules),
    taskConfiguration: cloneJson(t.taskConfiguration),
    retryAt: null,
    lastError: null,
    recoveryAttempts: 0,
    lastRecoveryAt: null,
    claimedBy: running ? t.claimedBy : null,
    heartbeatAt: running ? copyDate(now) : null,
    createdAt: copyDate(now),
    updatedAt: copyDate(now),
  };
}

/** The rows of createWithTasks (P1, T1). */
export interface NewRunRecords {
  /** null when the input context is empty (no row, context_id NULL). */
  context: M.ContextRecord | null;
  pipeline: M.PipelineExecution;
  /** In the given order, which is also id order. */
  tasks: M.TaskExecution[];
}

/**
 * Builds every row of a new run, drawing the ids in the order of 02 §1: the context (only if
 * non-empty), the pipeline, then the tasks in the given order, so id order = given order.
 */
export function newRunRecords(run: NewPipelineWithTasks, now: Date, newId: () => string): NewRunRecords {
  const context = nonEmptyContextRecord(run.inputContext, now, newId);
  const pipeline = pipelineRecord(
    newId(),
    { pipelineName: run.pipelineName, pipelineVersion: run.pipelineVersion, status: 'Pending', contextId: context?.id ?? null },
    now,
  );
  const tasks = run.tasks.map((spec) =>
    taskRecord(newId(), { ...spec, pipelineExecutionId: pipeline.id, status: 'NotStarted', attempt: 1, claimedBy: null }, now),
  );
  return { context, pipeline, tasks };
}

export function metadataRecord(id: string, m: NewMetadataFields, now: Date): M.TaskExecutionMetadata {
  return { id, ...m, createdAt: copyDate(now), updatedAt: copyDate(now) };
}

/** recovered_at = created_at = updated_at = now (02 §4.5). */
export function recoveryEventRecord(id: string, e: NewRecoveryEventFields, now: Date): M.RecoveryEvent {
  return {
    id,
    pipelineExecutionId: e.pipelineExecutionId,
    taskExecutionId: e.taskExecutionId,
    recoveryType: e.recoveryType,
    recoveredAt: copyDate(now),
    details: e.details === null ? null : cloneJson(e.details),
    createdAt: copyDate(now),
    updatedAt: copyDate(now),
  };
}

/**
 * The execution_events rows of one call in the order of 02 §1 (task events by task id, then
 * pipeline events), with their ids drawn in that order — after every other row of the call.
 */
export function executionEventRecords(events: readonly PendingEvent[], now: Date, newId: () => string): M.ExecutionEvent[] {
  return orderEvents(events).map((e) => ({
    id: newId(),
    pipelineExecutionId: e.pipelineExecutionId,
    taskExecutionId: e.taskExecutionId,
    eventType: e.eventType,
    eventData: e.eventData,
    runnerId: e.runnerId,
    createdAt: copyDate(now),
  }));
}

/** last_run_at NULL; created_at = updated_at = now (02 §4.7). */
export function cronScheduleRecord(id: string, s: NewCronScheduleFields, now: Date): M.CronSchedule {
  return {
    id,
    workflowName: s.workflowName,
    cronExpression: s.cronExpression,
    timezone: s.timezone,
    enabled: s.enabled,
    catchupPolicy: s.catchupPolicy,
    startDate: copyOrNull(s.startDate),
    endDate: copyOrNull(s.endDate),
    nextRunAt: copyDate(s.nextRunAt),
    lastRunAt: null,
    createdAt: copyDate(now),
    updatedAt: copyDate(now),
  };
}

/** claimed_at defaults to the call's now (02 §4.8). */
export function cronExecutionRecord(id: string, e: NewCronExecutionFields, now: Date): M.CronExecution {
  return {
    id,
    scheduleId: e.scheduleId,
    pipelineExecutionId: e.pipelineExecutionId,
    scheduledTime: copyDate(e.scheduledTime),
    claimedAt: copyDate(e.claimedAt ?? now),
    createdAt: copyDate(now),
    updatedAt: copyDate(now),
  };
}

export function workflowPackageRecord(id: string, p: PackageMetadataFields, now: Date): M.WorkflowPackage {
  return {
    id,
    registryId: p.registryId,
    packageName: p.packageName,
    version: p.version,
    description: p.description,
    author: p.author,
    metadata: cloneJson(p.metadata),
    storageType: p.storageType,
    createdAt: copyDate(now),
    updatedAt: copyDate(now),
  };
}
