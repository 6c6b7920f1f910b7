import type { JsonObject } from '../../json.js';
import type { ExecutionEventType } from '../../models/vocabulary.js';

/** An execution event a transition is about to write (01 §7.3). */
export interface PendingEvent {
  pipelineExecutionId: string;
  taskExecutionId: string | null;
  eventType: ExecutionEventType;
  eventData: JsonObject | null;
  runnerId: string | null;
}

/**
 * Orders the events of one call as 02 §1 requires: task events in task id order, then
 * pipeline events in pipeline id order (stable within equal ids, so creation order holds).
 */
export function orderEvents(events: readonly PendingEvent[]): PendingEvent[] {
  const task = events.filter((e) => e.taskExecutionId !== null);
  const pipeline = events.filter((e) => e.taskExecutionId === null);
  const byKey = (k: (e: PendingEvent) => string) => (a: PendingEvent, b: PendingEvent) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0);
  task.sort(byKey((e) => e.taskExecutionId!));
  pipeline.sort(byKey((e) => e.pipelineExecutionId));
  return [...task, ...pipeline];
}

/** event_data shapes of 01 §7.3, built in one place so every DAL writes identical JSON. */
export const eventData = {
  pipelineCreated: (pipelineName: string, pipelineVersion: string, taskCount: number): JsonObject => ({
    pipeline_name: pipelineName,
    pipeline_version: pipelineVersion,
    task_count: taskCount,
  }),
  pipelineFinalized: (c: { completed: number; failed: number; skipped: number; contextId: string | null; reason?: string }): JsonObject => {
    const d: JsonObject = { completed: c.completed, failed: c.failed, skipped: c.skipped, context_id: c.contextId };
    if (c.reason !== undefined) d.reason = c.reason;
    return d;
  },
  pipelineFailed: (reason: string): JsonObject => ({ reason }),
  pipelineCancelled: (skippedTasks: number, revokedTasks: number): JsonObject => ({
    skipped_tasks: skippedTasks,
    revoked_tasks: revokedTasks,
  }),
  pipelineStatusChanged: (from: string, to: string): JsonObject => ({ from, to }),
  taskCreated: (attempt: number, maxAttempts: number): JsonObject => ({ attempt, max_attempts: maxAttempts }),
  taskSkipped: (reason: string): JsonObject => ({ reason }),
  taskClaimed: (attempt: number): JsonObject => ({ attempt }),
  taskCompleted: (attempt: number, contextId: string | null): JsonObject => ({ attempt, context_id: contextId }),
  taskFailed: (attempt: number, error: string): JsonObject => ({ attempt, error }),
  taskRetryScheduled: (nextAttempt: number, retryAt: Date, error: string | null): JsonObject => ({
    attempt: nextAttempt,
    retry_at: retryAt.toISOString(),
    error,
  }),
  taskReleased: (attempt: number): JsonObject => ({ attempt }),
  taskReset: (recoveryAttempts: number, previousRunner: string | null): JsonObject => ({
    recovery_attempts: recoveryAttempts,
    previous_runner: previousRunner,
  }),
  taskAbandoned: (reason: string): JsonObject => ({ reason }),
  taskRetryReset: (previousStatus: string): JsonObject => ({ previous_status: previousStatus }),
} as const;
