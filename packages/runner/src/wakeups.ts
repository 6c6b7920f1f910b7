import type { Signal } from '@cloacina/core';

/** The services a signal can wake (absent when disabled on this runner). */
export interface WakeupTargets {
  scheduler?: { requestPass(executionId: string): void } | null;
  executor?: { requestTick(): void; abortRun(executionId: string): void } | null;
  watch: { check(executionId: string): unknown };
}

/**
 * 03 §10. Signals only make things faster: each service also polls, so a lost or late signal
 * delays work but never loses it.
 */
export function routeSignal(signal: Signal, t: WakeupTargets): void {
  const id = signal.pipelineExecutionId;
  switch (signal.type) {
    case 'pipeline_created':
      t.scheduler?.requestPass(id);
      void t.watch.check(id);
      return;
    case 'task_completed':
    case 'task_failed':
    case 'task_skipped':
    case 'task_abandoned':
      // A task became terminal: its dependents may be decidable, or the run finished.
      t.scheduler?.requestPass(id);
      return;
    case 'task_ready':
    case 'task_retry_scheduled':
    case 'task_reset':
    case 'task_released':
    case 'task_retry_reset': // an administrative re-run makes a task Ready too
      t.executor?.requestTick();
      return;
    case 'pipeline_cancelled':
      t.executor?.abortRun(id);
      void t.watch.check(id);
      return;
    case 'pipeline_started':
    case 'pipeline_completed':
    case 'pipeline_failed':
    case 'pipeline_status_changed':
      void t.watch.check(id);
      return;
    default:
      return;
  }
}
