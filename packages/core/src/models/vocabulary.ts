import { ValidationError } from '../errors/index.js';

export const PIPELINE_STATUSES = ['Pending', 'Running', 'Completed', 'Failed', 'Cancelled'] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];
export const ACTIVE_PIPELINE_STATUSES: readonly PipelineStatus[] = ['Pending', 'Running'];
export const TERMINAL_PIPELINE_STATUSES: readonly PipelineStatus[] = ['Completed', 'Failed', 'Cancelled'];

export const TASK_STATUSES = ['NotStarted', 'Ready', 'Running', 'Completed', 'Failed', 'Skipped'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['Completed', 'Failed', 'Skipped'];

export const CATCHUP_POLICIES = ['skip', 'run_once', 'run_all'] as const;
export type CatchupPolicy = (typeof CATCHUP_POLICIES)[number];

export const STORAGE_TYPES = ['database', 'filesystem'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number];

export const RECOVERY_TYPES = ['task_reset', 'task_abandoned', 'pipeline_failed', 'workflow_unavailable'] as const;
export type RecoveryType = (typeof RECOVERY_TYPES)[number];

export const EXECUTION_EVENT_TYPES = [
  'pipeline_created',
  'pipeline_started',
  'pipeline_completed',
  'pipeline_failed',
  'pipeline_cancelled',
  'pipeline_status_changed',
  'task_created',
  'task_ready',
  'task_skipped',
  'task_claimed',
  'task_completed',
  'task_failed',
  'task_retry_scheduled',
  'task_released',
  'task_reset',
  'task_abandoned',
  'task_retry_reset',
] as const;
export type ExecutionEventType = (typeof EXECUTION_EVENT_TYPES)[number];

/** Prefix marking an abandoned task; compared case-sensitively (never with LIKE). */
export const ABANDONED_PREFIX = 'ABANDONED:';

export function isTerminalPipelineStatus(s: PipelineStatus): boolean {
  return (TERMINAL_PIPELINE_STATUSES as readonly string[]).includes(s);
}

export function isTerminalTaskStatus(s: TaskStatus): boolean {
  return (TERMINAL_TASK_STATUSES as readonly string[]).includes(s);
}

function vocabularyGuard<T extends string>(values: readonly T[], what: string) {
  return (value: unknown, field = what): T => {
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      throw new ValidationError(`${field} must be one of ${values.join(', ')}; got ${JSON.stringify(value)}`, {
        field,
        reason: 'UnknownValue',
      });
    }
    return value as T;
  };
}

export const assertPipelineStatus = vocabularyGuard(PIPELINE_STATUSES, 'status');
export const assertTaskStatus = vocabularyGuard(TASK_STATUSES, 'status');
export const assertCatchupPolicy = vocabularyGuard(CATCHUP_POLICIES, 'catchupPolicy');
export const assertStorageType = vocabularyGuard(STORAGE_TYPES, 'storageType');
export const assertRecoveryType = vocabularyGuard(RECOVERY_TYPES, 'recoveryType');
export const assertExecutionEventType = vocabularyGuard(EXECUTION_EVENT_TYPES, 'eventType');
