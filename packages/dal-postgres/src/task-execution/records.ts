/** Building new task rows (T1), shared by `taskExecution.create` and `createWithTasks`. */
import type { JsonObject, TaskStatus } from '@cloacina/core';
import { isTerminalTaskStatus } from '@cloacina/core';

export interface NewTaskRow {
  id: string;
  pipelineExecutionId: string;
  taskName: string;
  status: TaskStatus;
  attempt: number;
  maxAttempts: number;
  triggerRules: JsonObject;
  taskConfiguration: JsonObject;
  claimedBy: string | null;
}

/** Every column written explicitly (01 §1, "Other defaults"), timestamps from one `now`. */
export function taskRecord(t: NewTaskRow, now: Date): Record<string, unknown> {
  const running = t.status === 'Running';
  return {
    id: t.id,
    pipelineExecutionId: t.pipelineExecutionId,
    taskName: t.taskName,
    status: t.status,
    startedAt: running ? now : null,
    completedAt: isTerminalTaskStatus(t.status) ? now : null,
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    errorDetails: null,
    triggerRules: t.triggerRules,
    taskConfiguration: t.taskConfiguration,
    retryAt: null,
    lastError: null,
    recoveryAttempts: 0,
    lastRecoveryAt: null,
    claimedBy: running ? t.claimedBy : null,
    heartbeatAt: running ? now : null,
    createdAt: now,
    updatedAt: now,
  };
}
