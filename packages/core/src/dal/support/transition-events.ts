/**
 * The execution events of the multi-row transitions (01 §7.3), built in one place so every DAL
 * writes the same events with the same data for the same rows. Each DAL's SQL reports which
 * rows changed; the order of writing is orderEvents' (applied by the DALs' writeEvents).
 */
import type { JsonObject } from '../../json.js';
import { DAL_TEXTS } from '../../models/state-machines.js';
import type { ExecutionEventType } from '../../models/vocabulary.js';
import { eventData, type PendingEvent } from './events.js';

export function pendingEvent(
  eventType: ExecutionEventType,
  pipelineExecutionId: string,
  taskExecutionId: string | null,
  data: JsonObject | null,
  runnerId: string | null,
): PendingEvent {
  return { eventType, pipelineExecutionId, taskExecutionId, eventData: data, runnerId };
}

/** P6: task_skipped for each task T4 skipped (reason = the text written to its error_details), then pipeline_failed. */
export function pipelineFailedEvents(pipelineId: string, skippedTaskIds: readonly string[], reason: string, runnerId: string | null): PendingEvent[] {
  const skip = eventData.taskSkipped(DAL_TEXTS.pipelineFailedSkip(reason));
  return [
    ...skippedTaskIds.map((id) => pendingEvent('task_skipped', pipelineId, id, skip, runnerId)),
    pendingEvent('pipeline_failed', pipelineId, null, eventData.pipelineFailed(reason), runnerId),
  ];
}

/** P7: task_skipped for each skipped task, task_failed for each revoked Running task (T9), then pipeline_cancelled with both counts. */
export function pipelineCancelledEvents(
  pipelineId: string,
  skippedTaskIds: readonly string[],
  revoked: readonly { id: string; attempt: number }[],
  runnerId: string | null,
): PendingEvent[] {
  const skip = eventData.taskSkipped(DAL_TEXTS.pipelineCancelledSkip);
  return [
    ...skippedTaskIds.map((id) => pendingEvent('task_skipped', pipelineId, id, skip, runnerId)),
    ...revoked.map((r) => pendingEvent('task_failed', pipelineId, r.id, eventData.taskFailed(r.attempt, DAL_TEXTS.cancelledRunning), runnerId)),
    pendingEvent('pipeline_cancelled', pipelineId, null, eventData.pipelineCancelled(skippedTaskIds.length, revoked.length), runnerId),
  ];
}

/**
 * T5 with P3: task_claimed for each claimed task, pipeline_started for each run the claim
 * started. A claim is not fenced, so `runnerId` is the DAL's configured one (01 §7.2).
 */
export function claimEvents(
  claimed: readonly { id: string; pipelineExecutionId: string; attempt: number }[],
  startedPipelineIds: readonly string[],
  runnerId: string | null,
): PendingEvent[] {
  return [
    ...claimed.map((t) => pendingEvent('task_claimed', t.pipelineExecutionId, t.id, eventData.taskClaimed(t.attempt), runnerId)),
    ...startedPipelineIds.map((id) => pendingEvent('pipeline_started', id, null, null, runnerId)),
  ];
}
