import type { Dal, ReadinessDecision, TaskStatus } from '@cloacina/core';
import { decideReadiness } from './readiness.js';
import { statusIn, type RunState } from './run-state.js';

/** Decisions for the direct dependents of tasks completed in one transaction, for one run. */
export interface FoldPlan {
  readonly runId: string;
  readonly decisions: ReadinessDecision[];
  /**
   * Every decision is Ready: the run visibly goes on and nothing further became decidable, so the
   * pass that the completion's own signal would trigger has nothing left to do.
   */
  readonly passless: boolean;
}

/**
 * Readiness of the direct dependents of `completed` (tasks of the run that the caller's
 * transaction `tx` is completing), decided as a scheduler pass would (03 §7.2 step 2): pending
 * tasks count as NotStarted, `completed` as Completed, other names as last seen terminal or read
 * through `tx`. Deciding inside the completion's transaction saves a transaction and a pass per
 * hop of a chain; `markReadiness` still applies each decision only to a task that is NotStarted.
 */
export async function planDependents(tx: Dal, runId: string, state: RunState, completed: readonly string[]): Promise<FoldPlan> {
  const done = new Set(completed);
  const candidates = state.pending.filter((t) => t.dependencies.some((d) => done.has(d)));
  if (candidates.length === 0) return { runId, decisions: [], passless: false };
  const status = new Map<string, TaskStatus>();
  for (const t of state.pending) status.set(t.taskName, 'NotStarted');
  for (const name of done) status.set(name, 'Completed');
  const toRead = new Set<string>();
  for (const t of candidates) {
    for (const name of t.looksAt) {
      if (status.has(name)) continue;
      const known = state.terminal.get(name);
      if (known !== undefined) status.set(name, known);
      else toRead.add(name);
    }
  }
  if (toRead.size > 0) {
    const found = await tx.taskExecution.getTaskStatusesBatch(runId, [...toRead]);
    for (const name of toRead) {
      const s = statusIn(found, name);
      if (s !== undefined) status.set(name, s);
    }
  }
  const decisions = await decideReadiness(candidates, status, (_task, deps) => tx.taskExecution.buildInputContext(runId, deps));
  // A skip may make dependents further down decidable (skip propagation): leave that to a pass.
  const passless = decisions.length > 0 && decisions.every((d) => d.outcome === 'Ready');
  return { runId, decisions, passless };
}
