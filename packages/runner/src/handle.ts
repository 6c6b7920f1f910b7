import type { PipelineStatus } from '@cloacina/core';
import type { PipelineResult } from './results.js';

/** Options of `execute()` and `handle.wait()`. */
export interface ExecuteOptions {
  /** Wait limit in ms (default: the runner's `pipelineTimeoutMs`); `null` waits forever. The run itself is never stopped by it. */
  timeoutMs?: number | null;
  /** Stops waiting (only waiting: the run continues; cancel it with `cancelExecution`). */
  signal?: AbortSignal;
}

/** A started run (03 §11), returned by `executeAsync()`. */
export interface PipelineExecutionHandle {
  readonly executionId: string;
  readonly workflowName: string;
  /** Resolves when the run ends (Completed, Failed or Cancelled). */
  wait(opts?: ExecuteOptions): Promise<PipelineResult>;
  status(): Promise<PipelineStatus>;
  /** The current state; does not wait. */
  result(): Promise<PipelineResult>;
  /** False if the run had already ended. */
  cancel(): Promise<boolean>;
}

/** The runner operations a handle delegates to. */
export interface HandleOps {
  wait(executionId: string, opts?: ExecuteOptions): Promise<PipelineResult>;
  getExecutionStatus(executionId: string): Promise<PipelineStatus>;
  getExecutionResult(executionId: string): Promise<PipelineResult>;
  cancelExecution(executionId: string): Promise<boolean>;
}

export function createHandle(ops: HandleOps, executionId: string, workflowName: string): PipelineExecutionHandle {
  return Object.freeze({
    executionId,
    workflowName,
    wait: (opts?: ExecuteOptions) => ops.wait(executionId, opts),
    status: () => ops.getExecutionStatus(executionId),
    result: () => ops.getExecutionResult(executionId),
    cancel: () => ops.cancelExecution(executionId),
  });
}
