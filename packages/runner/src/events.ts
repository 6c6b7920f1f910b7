import { ValidationError, type Logger } from '@cloacina/core';
import { describeError } from './logger.js';

/** Fields every runner event carries. */
export interface PipelineEventBase {
  /** The run (`pipeline_executions.id`). */
  executionId: string;
  workflowName: string;
}

/** Fields every task event carries. */
export interface TaskEventBase extends PipelineEventBase {
  /** Full namespace, `tenant::package::workflow::task`. */
  taskName: string;
  /** The task's short id, as given to `task({ id })`. */
  taskId: string;
  /** The task row (`task_executions.id`). */
  taskExecutionId: string;
  /** 1-based number of the attempt the event is about. */
  attempt: number;
}

/** Payloads of `runner.on(event, listener)` (03 §12.3). */
export interface RunnerEventMap {
  /** An attempt began on this runner. */
  taskStarted: TaskEventBase & { maxAttempts: number };
  taskCompleted: TaskEventBase & { durationMs: number };
  /** The attempt failed and another one is scheduled. */
  taskRetrying: TaskEventBase & { error: string; retryAt: Date; delayMs: number; nextAttempt: number };
  /** The attempt failed and no retry is left (or allowed). */
  taskFailed: TaskEventBase & { error: string };
  /** The trigger rule was not satisfied (or the task could not run). */
  taskSkipped: TaskEventBase & { reason: string };
  pipelineCompleted: PipelineEventBase;
  /** `error` is the run's `error_details`, e.g. `1 task(s) failed, 2 completed, 0 skipped`. */
  pipelineFailed: PipelineEventBase & { error: string };
  pipelineCancelled: PipelineEventBase;
}

export type RunnerEventName = keyof RunnerEventMap;
export type RunnerEventListener<E extends RunnerEventName> = (payload: RunnerEventMap[E]) => void;

export const RUNNER_EVENT_NAMES: readonly RunnerEventName[] = [
  'taskStarted',
  'taskCompleted',
  'taskRetrying',
  'taskFailed',
  'taskSkipped',
  'pipelineCompleted',
  'pipelineFailed',
  'pipelineCancelled',
];

/**
 * Typed progress events. Emitted after the corresponding write committed, by the runner that
 * made it. Listeners are isolated from the runtime: a throwing (or rejecting) listener is logged
 * and ignored, so observing a run can never change its outcome.
 */
export class RunnerEvents {
  readonly #listeners = new Map<RunnerEventName, Set<(payload: never) => void>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  on<E extends RunnerEventName>(event: E, listener: RunnerEventListener<E>): () => void {
    if (!RUNNER_EVENT_NAMES.includes(event)) {
      throw new ValidationError(`Unknown runner event '${String(event)}'; expected one of ${RUNNER_EVENT_NAMES.join(', ')}`, { field: 'event' });
    }
    if (typeof listener !== 'function') throw new ValidationError(`Listener for '${event}' must be a function`, { field: 'listener' });
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    const entry = listener as (payload: never) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** True when somebody listens (lets callers skip building payloads nobody reads). */
  has(event: RunnerEventName): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends RunnerEventName>(event: E, payload: RunnerEventMap[E]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        const ret = (listener as RunnerEventListener<E>)(payload) as unknown;
        if (ret instanceof Promise) ret.catch((err: unknown) => this.#report(event, err));
      } catch (err) {
        this.#report(event, err);
      }
    }
  }

  #report(event: RunnerEventName, err: unknown): void {
    this.#logger.error(`A '${event}' listener threw (ignored): ${describeError(err)}`, { error: err });
  }
}
