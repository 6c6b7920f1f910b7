import type { ExecutionEventType, PipelineStatus, TaskStatus } from './vocabulary.js';

/** One row of the state tables of 01 §7: which method moves a row from where to where. */
export interface Transition<S extends string> {
  id: string;
  from: readonly S[] | 'any' | null; // null = row creation
  to: S | 'any';
  method: string;
  event: ExecutionEventType | null;
  /** Fenced writes need status Running and the caller's claim; guarded ones return false. */
  kind: 'create' | 'guarded' | 'fenced' | 'unconditional';
}

export const PIPELINE_TRANSITIONS: readonly Transition<PipelineStatus>[] = [
  { id: 'P1', from: null, to: 'Pending', method: 'pipelineExecution.createWithTasks', event: 'pipeline_created', kind: 'create' },
  { id: 'P2', from: null, to: 'any', method: 'pipelineExecution.create', event: 'pipeline_created', kind: 'create' },
  { id: 'P3', from: ['Pending'], to: 'Running', method: 'taskExecution.claimReadyTasks', event: 'pipeline_started', kind: 'guarded' },
  { id: 'P4', from: ['Pending', 'Running'], to: 'any', method: 'pipelineExecution.finalize', event: 'pipeline_completed', kind: 'guarded' },
  { id: 'P5', from: ['Pending', 'Running'], to: 'Completed', method: 'pipelineExecution.markCompleted', event: 'pipeline_completed', kind: 'guarded' },
  { id: 'P6', from: ['Pending', 'Running'], to: 'Failed', method: 'pipelineExecution.markFailed', event: 'pipeline_failed', kind: 'guarded' },
  { id: 'P7', from: ['Pending', 'Running'], to: 'Cancelled', method: 'pipelineExecution.cancel', event: 'pipeline_cancelled', kind: 'guarded' },
  { id: 'P8', from: 'any', to: 'any', method: 'pipelineExecution.updateStatus', event: 'pipeline_status_changed', kind: 'unconditional' },
];

export const TASK_TRANSITIONS: readonly Transition<TaskStatus>[] = [
  { id: 'T1', from: null, to: 'NotStarted', method: 'taskExecution.create', event: 'task_created', kind: 'create' },
  { id: 'T2', from: ['NotStarted'], to: 'Ready', method: 'taskExecution.markReady', event: 'task_ready', kind: 'guarded' },
  { id: 'T3', from: ['NotStarted'], to: 'Skipped', method: 'taskExecution.markSkipped', event: 'task_skipped', kind: 'guarded' },
  { id: 'T4', from: ['NotStarted', 'Ready'], to: 'Skipped', method: 'pipelineExecution.markFailed|cancel', event: 'task_skipped', kind: 'guarded' },
  { id: 'T5', from: ['Ready'], to: 'Running', method: 'taskExecution.claimReadyTasks', event: 'task_claimed', kind: 'guarded' },
  { id: 'T6', from: ['Running'], to: 'Completed', method: 'taskExecution.markCompleted|completeWithOutput', event: 'task_completed', kind: 'fenced' },
  { id: 'T7', from: ['Running'], to: 'Failed', method: 'taskExecution.markFailed', event: 'task_failed', kind: 'fenced' },
  { id: 'T8', from: ['Running'], to: 'Ready', method: 'taskExecution.scheduleRetry', event: 'task_retry_scheduled', kind: 'fenced' },
  { id: 'T9', from: ['Running'], to: 'Failed', method: 'pipelineExecution.cancel', event: 'task_failed', kind: 'guarded' },
  { id: 'T10', from: ['Running'], to: 'Ready', method: 'taskExecution.releaseClaim', event: 'task_released', kind: 'fenced' },
  { id: 'T11', from: ['Running'], to: 'Ready', method: 'taskExecution.resetTaskForRecovery', event: 'task_reset', kind: 'guarded' },
  { id: 'T12', from: ['NotStarted', 'Ready', 'Running'], to: 'Failed', method: 'taskExecution.markAbandoned', event: 'task_abandoned', kind: 'guarded' },
  { id: 'T13', from: ['Failed', 'Skipped', 'Completed', 'Ready'], to: 'Ready', method: 'taskExecution.resetRetryState', event: 'task_retry_reset', kind: 'guarded' },
];

/** Source statuses of the guarded task transitions, shared by every DAL's SQL. */
export const TASK_SOURCES = {
  markReady: ['NotStarted'],
  markSkipped: ['NotStarted'],
  skipOnPipelineEnd: ['NotStarted', 'Ready'],
  markAbandoned: ['NotStarted', 'Ready', 'Running'],
  resetRetryState: ['Failed', 'Skipped', 'Completed', 'Ready'],
} as const satisfies Record<string, readonly TaskStatus[]>;

export const PIPELINE_ACTIVE_SOURCES = ['Pending', 'Running'] as const satisfies readonly PipelineStatus[];

/** Fixed texts written by the DALs; every implementation must produce them byte for byte. */
export const DAL_TEXTS = {
  pipelineFailedSkip: (reason: string) => `Pipeline failed: ${reason}`,
  pipelineCancelledSkip: 'Pipeline cancelled',
  cancelledRunning: 'CANCELLED: Pipeline cancelled',
  abandoned: (reason: string) => `ABANDONED: ${reason}`,
  finalizeSummary: (failed: number, completed: number, skipped: number) =>
    `${failed} task(s) failed, ${completed} completed, ${skipped} skipped`,
} as const;
