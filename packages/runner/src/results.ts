import {
  Context,
  parseNamespace,
  type Dal,
  type JsonObject,
  type PipelineExecution,
  type PipelineStatus,
  type TaskExecution,
  type TaskStatus,
} from '@cloacina/core';

export type { PipelineStatus, TaskStatus };

/** One task of a run (03 §11). */
export interface TaskResult {
  /** Full namespace. */
  taskName: string;
  /** Short task id. */
  taskId: string;
  /** The task row's id. */
  taskExecutionId: string;
  status: TaskStatus;
  startTime: Date | null;
  endTime: Date | null;
  durationMs: number | null;
  /** Number of the current (or last) attempt. */
  attemptCount: number;
  maxAttempts: number;
  /** Skip reason or final error (`error_details`), else the last attempt's error. */
  errorMessage: string | null;
}

/** A run and its tasks (03 §11). */
export interface PipelineResult {
  executionId: string;
  workflowName: string;
  workflowVersion: string;
  status: PipelineStatus;
  startTime: Date;
  endTime: Date | null;
  durationMs: number | null;
  inputContext: Context;
  /** Merge of the completed leaves' outputs; empty while active and after cancellation or recovery. */
  finalContext: Context;
  /** In task id order (= topological order). */
  taskResults: TaskResult[];
  /** e.g. `1 task(s) failed, 3 completed, 1 skipped`. */
  errorMessage: string | null;
}

export const TERMINAL_STATUSES: readonly PipelineStatus[] = ['Completed', 'Failed', 'Cancelled'];

export function isTerminal(status: PipelineStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

function elapsed(start: Date | null, end: Date | null): number | null {
  return start !== null && end !== null ? Math.max(0, end.getTime() - start.getTime()) : null;
}

/** Short id of a namespace; tolerant of rows written by something other than this library. */
export function shortTaskId(taskName: string): string {
  try {
    return parseNamespace(taskName).taskId;
  } catch {
    return taskName;
  }
}

export function buildTaskResult(task: TaskExecution): TaskResult {
  return {
    taskName: task.taskName,
    taskId: shortTaskId(task.taskName),
    taskExecutionId: task.id,
    status: task.status,
    startTime: task.startedAt,
    endTime: task.completedAt,
    durationMs: elapsed(task.startedAt, task.completedAt),
    attemptCount: task.attempt,
    maxAttempts: task.maxAttempts,
    errorMessage: task.errorDetails ?? task.lastError,
  };
}

/** Pure assembly of a result from rows (tasks in id order) and the two context values. */
export function buildPipelineResult(
  run: PipelineExecution,
  tasks: readonly TaskExecution[],
  input: JsonObject | null,
  final: JsonObject | null,
): PipelineResult {
  return {
    executionId: run.id,
    workflowName: run.pipelineName,
    workflowVersion: run.pipelineVersion,
    status: run.status,
    startTime: run.startedAt,
    endTime: run.completedAt,
    durationMs: elapsed(run.startedAt, run.completedAt),
    inputContext: new Context(input ?? {}),
    // Only `finalize` sets final_context_id, so an active, cancelled or recovered run reports {}.
    finalContext: new Context(final ?? {}),
    taskResults: [...tasks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(buildTaskResult),
    errorMessage: run.errorDetails,
  };
}

async function contextValue(dal: Dal, id: string | null): Promise<JsonObject | null> {
  return id === null ? null : dal.context.find(id);
}

/** Current state of a run; NotFoundError if unknown. */
export async function loadPipelineResult(dal: Dal, executionId: string): Promise<PipelineResult> {
  const run = await dal.pipelineExecution.getById(executionId);
  const [tasks, input, final] = await Promise.all([
    dal.taskExecution.getAllTasksForPipeline(run.id),
    contextValue(dal, run.contextId),
    contextValue(dal, run.finalContextId),
  ]);
  return buildPipelineResult(run, tasks, input, final);
}

/** Results for many runs with one task query. */
export async function loadPipelineResults(dal: Dal, runs: readonly PipelineExecution[]): Promise<PipelineResult[]> {
  if (runs.length === 0) return [];
  const tasks = await dal.taskExecution.getTasksForPipelines(runs.map((r) => r.id));
  const byRun = new Map<string, TaskExecution[]>();
  for (const t of tasks) {
    let list = byRun.get(t.pipelineExecutionId);
    if (list === undefined) byRun.set(t.pipelineExecutionId, (list = []));
    list.push(t);
  }
  return Promise.all(
    runs.map(async (run) => {
      const [input, final] = await Promise.all([contextValue(dal, run.contextId), contextValue(dal, run.finalContextId)]);
      return buildPipelineResult(run, byRun.get(run.id) ?? [], input, final);
    }),
  );
}

/** The workflow part of a namespace (= the run's `pipeline_name`). */
export function workflowNameOf(taskName: string): string {
  try {
    return parseNamespace(taskName).workflowId;
  } catch {
    return taskName;
  }
}
