/**
 * Records of newly inserted rows, built from the validated inputs and the call's one `now`
 * (so a create returns exactly what a read would, without a second round trip).
 */
import {
  cloneJson,
  type JsonObject,
  type PipelineExecution,
  type PipelineStatus,
  type TaskExecution,
  type TaskStatus,
} from '@cloacina/core';

/** A fresh Date per field, so a caller mutating one field never changes another. */
export const at = (d: Date): Date => new Date(d.getTime());

export function newPipelineRecord(p: {
  id: string;
  pipelineName: string;
  pipelineVersion: string;
  status: PipelineStatus;
  contextId: string | null;
  completedAt: Date | null;
  now: Date;
}): PipelineExecution {
  return {
    id: p.id,
    pipelineName: p.pipelineName,
    pipelineVersion: p.pipelineVersion,
    status: p.status,
    contextId: p.contextId,
    finalContextId: null,
    startedAt: at(p.now),
    completedAt: p.completedAt ? at(p.completedAt) : null,
    errorDetails: null,
    recoveryAttempts: 0,
    lastRecoveryAt: null,
    createdAt: at(p.now),
    updatedAt: at(p.now),
  };
}

export function newTaskRecord(t: {
  id: string;
  pipelineExecutionId: string;
  taskName: string;
  status: TaskStatus;
  attempt: number;
  maxAttempts: number;
  triggerRules: JsonObject;
  taskConfiguration: JsonObject;
  claimedBy: string | null;
  now: Date;
  running: boolean;
  terminal: boolean;
}): TaskExecution {
  return {
    id: t.id,
    pipelineExecutionId: t.pipelineExecutionId,
    taskName: t.taskName,
    status: t.status,
    startedAt: t.running ? at(t.now) : null,
    completedAt: t.terminal ? at(t.now) : null,
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    errorDetails: null,
    triggerRules: cloneJson(t.triggerRules),
    taskConfiguration: cloneJson(t.taskConfiguration),
    retryAt: null,
    lastError: null,
    recoveryAttempts: 0,
    lastRecoveryAt: null,
    claimedBy: t.running ? t.claimedBy : null,
    heartbeatAt: t.running ? at(t.now) : null,
    createdAt: at(t.now),
    updatedAt: at(t.now),
  };
}
