import { isTerminalTaskStatus, type TaskExecution, type TaskStatus } from '@cloacina/core';
import { snapshotOf, type SnapshotTask } from './readiness.js';
import { workflowNameOf } from './results.js';

/** What the scheduler knows of one run between passes. */
export interface RunState {
  readonly snapshot: readonly SnapshotTask[];
  readonly byId: ReadonlyMap<string, SnapshotTask>;
  readonly workflowName: string;
  /** Tasks NotStarted when last seen, id order; NotStarted is never entered again. */
  pending: readonly SnapshotTask[];
  /** Names of tasks last seen Ready or Running: the ones read to tell whether the run is done. */
  readonly active: Set<string>;
  /**
   * Terminal statuses seen. A terminal task stays terminal (an administrative reset is the one
   * exception, and `finalize` re-checks every task in the database, so a stale entry cannot end a
   * run early).
   */
  readonly terminal: Map<string, TaskStatus>;
}

/** Records what is now known of one task's status. */
export function noteStatus(state: RunState, name: string, status: TaskStatus): void {
  if (isTerminalTaskStatus(status)) {
    state.active.delete(name);
    state.terminal.set(name, status);
  } else if (status !== 'NotStarted') {
    state.terminal.delete(name); // only after an administrative reset
    state.active.add(name);
  }
}

export function statusIn(found: Record<string, TaskStatus>, name: string): TaskStatus | undefined {
  return Object.prototype.hasOwnProperty.call(found, name) ? found[name] : undefined;
}

/** What a scheduler knows of a run from a full set of its rows, and their statuses by name. */
export function stateOf(rows: readonly TaskExecution[]): { state: RunState; status: Map<string, TaskStatus> } {
  const snapshot = snapshotOf(rows);
  const status = new Map<string, TaskStatus>(rows.map((t) => [t.taskName, t.status]));
  const state: RunState = {
    snapshot,
    byId: new Map(snapshot.map((t) => [t.id, t])),
    workflowName: workflowNameOf((snapshot[0] as SnapshotTask).taskName),
    pending: snapshot.filter((t) => status.get(t.taskName) === 'NotStarted'),
    active: new Set(),
    terminal: new Map(),
  };
  for (const [name, st] of status) noteStatus(state, name, st);
  return { state, status };
}
