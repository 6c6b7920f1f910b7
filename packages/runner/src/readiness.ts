import {
  evaluateTriggerRule,
  isTerminalTaskStatus,
  parseTriggerRule,
  taskRefsOf,
  TRIGGER_SKIP_PREFIX,
  type JsonObject,
  type ReadinessDecision,
  type TaskExecution,
  type TaskStatus,
  type TriggerRule,
} from '@cloacina/core';
import { describeError } from './logger.js';

/** What one scheduler pass decides for one run (03 §7.2 steps 2 and 4). */
export interface ReadinessPlan {
  decisions: ReadinessDecision[];
  /** Every task is terminal once the decisions are applied: the run can be finalized. */
  finished: boolean;
  /** Names of the Completed leaf tasks, in task id order (their outputs form the final context). */
  completedLeaves: string[];
}

/**
 * The immutable part of one task row: everything the scheduler needs except its status. Rows
 * are written once by `createWithTasks` and only their status (and attempt bookkeeping) changes
 * afterwards, so a run's snapshot can be kept for the run's whole life.
 */
export interface SnapshotTask {
  readonly id: string;
  readonly taskName: string;
  /** The creation attempt; a NotStarted row never had another (01 §7: NotStarted is only entered at creation). */
  readonly attempt: number;
  readonly dependencies: readonly string[];
  /** The parsed stored rule, or why it could not be parsed. */
  readonly rule: { ok: true; value: TriggerRule } | { ok: false; error: unknown };
  /** Names whose statuses the rule may look at: dependencies and the rule's task conditions. */
  readonly looksAt: readonly string[];
  readonly leaf: boolean;
}

/** `task_configuration.dependencies` (01 §6.2); absent means none. */
export function dependenciesOf(task: { taskConfiguration: JsonObject }): string[] {
  const deps = task.taskConfiguration['dependencies'];
  return Array.isArray(deps) ? deps.filter((d): d is string => typeof d === 'string') : [];
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Snapshot of a run's rows, in id order (topological order). */
export function snapshotOf(tasks: readonly TaskExecution[]): SnapshotTask[] {
  const ordered = [...tasks].sort(byId);
  const deps = ordered.map(dependenciesOf);
  const dependedOn = new Set(deps.flat());
  return ordered.map((t, i) => {
    const dependencies = deps[i] as string[];
    let rule: SnapshotTask['rule'];
    try {
      rule = { ok: true, value: parseTriggerRule(t.triggerRules, t.taskName) };
    } catch (error) {
      rule = { ok: false, error };
    }
    const leaf = t.taskConfiguration['leaf'];
    return {
      id: t.id,
      taskName: t.taskName,
      attempt: t.attempt,
      dependencies,
      rule,
      looksAt: rule.ok ? [...new Set([...dependencies, ...taskRefsOf(rule.value)])] : dependencies,
      leaf: typeof leaf === 'boolean' ? leaf : !dependedOn.has(t.taskName),
    };
  });
}

function usesContext(rule: TriggerRule): boolean {
  return rule.type !== 'Always' && rule.conditions.some((c) => c.type === 'ContextValue');
}

/**
 * Evaluates the trigger rule of every NotStarted task of `candidates` (id order) whose
 * dependencies are settled. `status` must hold the status of each candidate and of every name a
 * candidate looks at (absent = no such row); each decision is applied to it at once, so a skip
 * propagates down a whole chain in one pass instead of one database round trip per level.
 *
 * `inputContextOf` is called only for rules with ContextValue conditions; it must return the
 * task's prospective input context (the executor's `buildInputContext`).
 */
export async function decideReadiness(
  candidates: readonly SnapshotTask[],
  status: Map<string, TaskStatus>,
  inputContextOf: (task: SnapshotTask, dependencies: string[]) => Promise<JsonObject>,
): Promise<ReadinessDecision[]> {
  const decisions: ReadinessDecision[] = [];
  for (const task of candidates) {
    if (status.get(task.taskName) !== 'NotStarted') continue;
    // Settled: terminal, or no row at all (conditions on it are then simply false).
    const settled = task.dependencies.every((d) => {
      const s = status.get(d);
      return s === undefined || isTerminalTaskStatus(s);
    });
    if (!settled) continue;
    let decision: ReadinessDecision;
    try {
      if (!task.rule.ok) throw task.rule.error;
      const rule = task.rule.value;
      const context = usesContext(rule) ? await inputContextOf(task, [...task.dependencies]) : {};
      const outcome = evaluateTriggerRule(rule, { taskStatus: (ns) => status.get(ns), context });
      decision = outcome.satisfied ? { id: task.id, outcome: 'Ready' } : { id: task.id, outcome: 'Skipped', reason: outcome.reason };
    } catch (err) {
      // A stored rule this library cannot read must not wedge the run forever: skip the task
      // and say why, like any other unsatisfied rule.
      decision = { id: task.id, outcome: 'Skipped', reason: `${TRIGGER_SKIP_PREFIX}${describeError(err)}` };
    }
    decisions.push(decision);
    status.set(task.taskName, decision.outcome);
  }
  return decisions;
}

/** Names of the Completed leaves of `snapshot`, in id order. */
export function completedLeavesOf(snapshot: readonly SnapshotTask[], status: (name: string) => TaskStatus | undefined): string[] {
  return snapshot.filter((t) => t.leaf && status(t.taskName) === 'Completed').map((t) => t.taskName);
}

/**
 * The whole plan from a full set of rows: decisions over every NotStarted task in id order,
 * then whether every task is terminal and which leaves completed.
 */
export async function planReadiness(
  tasks: readonly TaskExecution[],
  inputContextOf: (task: SnapshotTask, dependencies: string[]) => Promise<JsonObject>,
): Promise<ReadinessPlan> {
  const snapshot = snapshotOf(tasks);
  const status = new Map<string, TaskStatus>(tasks.map((t) => [t.taskName, t.status]));
  const decisions = await decideReadiness(snapshot, status, inputContextOf);
  const finished = [...status.values()].every(isTerminalTaskStatus);
  const completedLeaves = finished ? completedLeavesOf(snapshot, (n) => status.get(n)) : [];
  return { decisions, finished, completedLeaves };
}
