import {
  evaluateTriggerRule,
  isTerminalTaskStatus,
  parseTriggerRule,
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

/** `task_configuration.dependencies` (01 §6.2); absent means none. */
export function dependenciesOf(task: { taskConfiguration: JsonObject }): string[] {
  const deps = task.taskConfiguration['dependencies'];
  return Array.isArray(deps) ? deps.filter((d): d is string => typeof d === 'string') : [];
}

/** `task_configuration.leaf`, else derived from the other rows' dependencies. */
function leafNames(tasks: readonly TaskExecution[]): Set<string> {
  const dependedOn = new Set(tasks.flatMap(dependenciesOf));
  return new Set(
    tasks
      .filter((t) => {
        const leaf = t.taskConfiguration['leaf'];
        return typeof leaf === 'boolean' ? leaf : !dependedOn.has(t.taskName);
      })
      .map((t) => t.taskName),
  );
}

function usesContext(rule: TriggerRule): boolean {
  return rule.type !== 'Always' && rule.conditions.some((c) => c.type === 'ContextValue');
}

/**
 * Evaluates the trigger rule of every NotStarted task whose dependencies are settled, working
 * from the stored rows only (any runner can drive any run). Tasks are visited in id order, which
 * is topological order, and each decision is applied to the local view at once, so a skip
 * propagates down a whole chain in one pass instead of one database round trip per level.
 *
 * `inputContextOf` is called only for rules with ContextValue conditions; it must return the
 * task's prospective input context (the executor's `buildInputContext`).
 */
export async function planReadiness(
  tasks: readonly TaskExecution[],
  inputContextOf: (task: TaskExecution, dependencies: string[]) => Promise<JsonObject>,
): Promise<ReadinessPlan> {
  const ordered = [...tasks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const status = new Map<string, TaskStatus>(ordered.map((t) => [t.taskName, t.status]));
  const decisions: ReadinessDecision[] = [];

  for (const task of ordered) {
    if (task.status !== 'NotStarted') continue;
    const deps = dependenciesOf(task);
    // Settled: terminal, or no row at all (conditions on it are then simply false).
    const settled = deps.every((d) => {
      const s = status.get(d);
      return s === undefined || isTerminalTaskStatus(s);
    });
    if (!settled) continue;
    let decision: ReadinessDecision;
    try {
      const rule = parseTriggerRule(task.triggerRules, task.taskName);
      const context = usesContext(rule) ? await inputContextOf(task, deps) : {};
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

  const finished = [...status.values()].every(isTerminalTaskStatus);
  const leaves = leafNames(ordered);
  const completedLeaves = finished ? ordered.filter((t) => status.get(t.taskName) === 'Completed' && leaves.has(t.taskName)).map((t) => t.taskName) : [];
  return { decisions, finished, completedLeaves };
}
