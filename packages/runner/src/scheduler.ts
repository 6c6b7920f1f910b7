import {
  foldContexts,
  isTerminalTaskStatus,
  type Dal,
  type Logger,
  type ReadinessDecision,
  type TaskExecution,
  type TaskStatus,
} from '@cloacina/core';
import type { RunnerEvents } from './events.js';
import { describeError } from './logger.js';
import { completedLeavesOf, decideReadiness } from './readiness.js';
import { shortTaskId, workflowNameOf } from './results.js';
import { planDependents, type FoldPlan } from './fold.js';
import { noteStatus, stateOf, statusIn, type RunState } from './run-state.js';
import { Ticker } from './ticker.js';

export interface SchedulerDeps {
  dal: Dal;
  events: RunnerEvents;
  logger: Logger;
  pollIntervalMs: number;
}

/** Active tasks read per round trip when checking whether a run is done. */
const PROBE = 32;

/** Runs per database round trip of a full pass; bounds memory with many active runs. */
const BATCH = 200;

/**
 * The scheduler (03 §7.2). It marks tasks Ready or Skipped once their dependencies settle and
 * finalizes runs whose tasks are all terminal, reading only the stored snapshot
 * (`task_configuration`, `trigger_rules`), so it can drive any run, including runs started by
 * other processes.
 *
 * Passes happen in one loop: a full pass over every active run on the fallback poll (and at
 * start), a targeted pass for the runs named by wake-up signals otherwise. One loop means passes
 * over the same run never overlap within this runner; across runners the DAL's guarded
 * transitions and `finalize` outcomes make concurrent passes harmless.
 */
export class Scheduler {
  readonly #dal: Dal;
  readonly #events: RunnerEvents;
  readonly #logger: Logger;
  readonly #ticker: Ticker;
  readonly #dirty = new Set<string>();
  /** Snapshots of the runs seen so far (their rows never change but for status), by run id. */
  readonly #runs = new Map<string, RunState>();
  #passSoon = false;
  /** Per run: signals of this runner's own completions whose pass is not needed. */
  readonly #quiet = new Map<string, number>();

  constructor(deps: SchedulerDeps) {
    this.#dal = deps.dal;
    this.#events = deps.events;
    this.#logger = deps.logger;
    this.#ticker = new Ticker('Scheduler pass', deps.pollIntervalMs, (periodic) => this.#pass(periodic), deps.logger);
  }

  start(): void {
    this.#ticker.start(true);
  }

  /** Targeted pass for one run, as soon as possible (03 §10). */
  requestPass(executionId: string): void {
    if (this.#ticker.stopped) return;
    const quiet = this.#quiet.get(executionId);
    if (quiet !== undefined) {
      // The signal of a completion whose dependents were decided in its own transaction.
      if (quiet > 1) this.#quiet.set(executionId, quiet - 1);
      else this.#quiet.delete(executionId);
      return;
    }
    this.#dirty.add(executionId);
    if (this.#passSoon) return;
    // After the current callbacks: a burst of signals makes one pass, and what this runner's
    // executor just wrote (noteSettled) is known to it.
    this.#passSoon = true;
    setImmediate(() => {
      this.#passSoon = false;
      this.#ticker.trigger();
    });
  }

  /**
   * A task of this runner ended (the executor's write committed): its status need not be read
   * again by the pass that its signal triggers.
   */
  noteSettled(executionId: string, taskName: string, status: TaskStatus): void {
    const state = this.#runs.get(executionId);
    if (state !== undefined) noteStatus(state, taskName, status);
  }

  /**
   * Called inside the executor's completion transaction `tx`: readiness decisions for the
   * dependents of `completed` (see planDependents), null for a run not loaded yet (its first
   * pass decides then). When the plan makes the completion's own pass pointless, that pass is
   * skipped.
   */
  async planDependents(tx: Dal, runId: string, completed: readonly string[]): Promise<FoldPlan | null> {
    const state = this.#runs.get(runId);
    if (state === undefined) return null;
    const plan = await planDependents(tx, runId, state, completed);
    if (plan.passless) this.#quiet.set(runId, (this.#quiet.get(runId) ?? 0) + 1);
    return plan;
  }

  /** After that transaction: what `markReadiness` changed, or null when it rolled back. */
  settleDependents(plan: FoldPlan, applied: { ready: string[]; skipped: string[] } | null): void {
    const { runId, decisions } = plan;
    const changed = new Set(applied === null ? [] : [...applied.ready, ...applied.skipped]);
    if (plan.passless && (applied === null || decisions.some((d) => !changed.has(d.id)))) {
      // Not everything happened as planned: the pass is needed after all.
      const quiet = this.#quiet.get(runId) ?? 0;
      if (quiet > 1) this.#quiet.set(runId, quiet - 1);
      else this.#quiet.delete(runId);
      this.requestPass(runId);
    }
    const state = this.#runs.get(runId);
    if (applied === null || state === undefined) return;
    const decided = new Set<string>();
    for (const d of decisions) {
      const name = state.byId.get(d.id)?.taskName;
      if (name === undefined) continue;
      decided.add(name);
      // Not applied: the task had left NotStarted already; its status is read when needed.
      noteStatus(state, name, changed.has(d.id) ? d.outcome : 'Running');
    }
    state.pending = state.pending.filter((t) => !decided.has(t.taskName));
    this.#announceSkips(runId, state, decisions, applied.skipped);
  }

  stop(): Promise<void> {
    return this.#ticker.stop();
  }

  async #pass(periodic: boolean): Promise<void> {
    const ids = new Set(this.#dirty);
    this.#dirty.clear();
    if (periodic) {
      for (const run of await this.#dal.pipelineExecution.getActiveExecutions()) ids.add(run.id);
      // Runs that ended (or vanished) meanwhile: their snapshots are no longer needed.
      for (const id of this.#runs.keys()) if (!ids.has(id)) this.#runs.delete(id);
      for (const id of this.#quiet.keys()) if (!ids.has(id)) this.#quiet.delete(id);
    }
    const all = [...ids];
    for (let i = 0; i < all.length; i += BATCH) {
      const batch = all.slice(i, i + BATCH);
      // Full rows only for runs seen for the first time; the others reuse their snapshot.
      const unknown = batch.filter((id) => !this.#runs.has(id));
      const loaded = new Map<string, TaskExecution[]>(unknown.map((id) => [id, []]));
      if (unknown.length > 0) {
        for (const t of await this.#dal.taskExecution.getTasksForPipelines(unknown)) loaded.get(t.pipelineExecutionId)?.push(t);
      }
      for (const runId of batch) {
        try {
          const rows = loaded.get(runId);
          const known = this.#runs.get(runId);
          if (rows !== undefined) await this.#processLoaded(runId, rows);
          else if (known !== undefined) await this.#processKnown(runId, known, periodic);
        } catch (err) {
          // 03 §7.2 step 5: one broken run must not stall the others.
          this.#logger.error(`Scheduler pass failed for run ${runId}: ${describeError(err)}`, { executionId: runId, error: err });
        }
      }
    }
  }

  /** First sight of a run: every row is at hand, so the plan is made exactly as from scratch. */
  async #processLoaded(runId: string, rows: TaskExecution[]): Promise<void> {
    // No rows: a run this runner cannot see (deleted, or another schema) — nothing to decide.
    if (rows.length === 0) return;
    const { state, status } = stateOf(rows);
    this.#runs.set(runId, state);
    await this.#advance(runId, state, status);
  }

  /**
   * A run this runner just created, with the rows `createWithTasks` returned: its first pass
   * needs no full read of them (every task is NotStarted, the snapshot is at hand).
   */
  adoptRun(runId: string, rows: readonly TaskExecution[]): void {
    if (rows.length > 0 && !this.#runs.has(runId)) this.#runs.set(runId, stateOf(rows).state);
  }

  /**
   * A run seen before. Only what the decisions need is read: the non-pending names the pending
   * tasks' rules look at, unless already known terminal. Pending tasks are taken as still
   * NotStarted — only a scheduler moves them, and `markReadiness` applies a decision only to a
   * task that is — so a skip still propagates down a chain within one pass; a full pass also
   * reads the frontier (pending tasks whose dependencies are not pending) to notice decisions
   * made by other runners.
   */
  async #processKnown(runId: string, state: RunState, periodic: boolean): Promise<void> {
    const pendingNames = new Set(state.pending.map((t) => t.taskName));
    const toRead = new Set<string>();
    const status = new Map<string, TaskStatus>();
    for (const t of state.pending) {
      status.set(t.taskName, 'NotStarted');
      if (periodic && t.dependencies.every((d) => !pendingNames.has(d))) toRead.add(t.taskName);
      for (const n of t.looksAt) {
        if (pendingNames.has(n)) continue;
        const known = state.terminal.get(n);
        if (known !== undefined) status.set(n, known);
        else toRead.add(n);
      }
    }
    if (toRead.size > 0) {
      const found = await this.#dal.taskExecution.getTaskStatusesBatch(runId, [...toRead]);
      for (const name of toRead) {
        const s = statusIn(found, name);
        if (s === undefined) status.delete(name);
        else {
          status.set(name, s);
          noteStatus(state, name, s);
        }
      }
      state.pending = state.pending.filter((t) => status.get(t.taskName) === 'NotStarted');
    }
    await this.#advance(runId, state, status);
  }

  /**
   * Decides the pending tasks whose dependencies settled (`status` holds every name they look
   * at), then finalizes the run once every task is terminal.
   */
  async #advance(runId: string, state: RunState, status: Map<string, TaskStatus>): Promise<void> {
    const decisions = await decideReadiness(state.pending, status, (_task, deps) => this.#dal.taskExecution.buildInputContext(runId, deps));
    if (decisions.length > 0) {
      const applied = await this.#dal.taskExecution.markReadiness(decisions);
      const changed = new Set([...applied.ready, ...applied.skipped]);
      for (const d of decisions) {
        const name = state.byId.get(d.id)?.taskName;
        // Not applied: the task had left NotStarted already; its status is read when needed.
        if (name !== undefined) noteStatus(state, name, changed.has(d.id) ? d.outcome : 'Running');
      }
      state.pending = state.pending.filter((t) => status.get(t.taskName) === 'NotStarted');
      this.#announceSkips(runId, state, decisions, applied.skipped);
      // Fewer changes than decisions: another runner (or a cancellation) got there first. Its
      // signals bring this run back if anything is left to do.
      if (applied.ready.length + applied.skipped.length < decisions.length) return;
    }
    if (state.pending.length > 0 || !(await this.#allSettled(runId, state))) return;
    await this.#finalize(runId, state, completedLeavesOf(state.snapshot, (n) => state.terminal.get(n)));
  }

  /**
   * Whether every active task is terminal now, reading them a few at a time and stopping at the
   * first still open: each task is read as terminal once, so watching a wide run costs one small
   * read per pass instead of a count over all its tasks.
   */
  async #allSettled(runId: string, state: RunState): Promise<boolean> {
    while (state.active.size > 0) {
      const window: string[] = [];
      for (const name of state.active) {
        window.push(name);
        if (window.length === PROBE) break;
      }
      const found = await this.#dal.taskExecution.getTaskStatusesBatch(runId, window);
      let open = false;
      for (const name of window) {
        const s = statusIn(found, name);
        if (s === undefined) state.active.delete(name); // the row is gone: nothing to wait for
        else if (isTerminalTaskStatus(s)) noteStatus(state, name, s);
        else open = true;
      }
      if (open) return false;
    }
    return true;
  }

  #announceSkips(runId: string, state: RunState, decisions: ReadinessDecision[], skippedIds: string[]): void {
    if (skippedIds.length === 0 || !this.#events.has('taskSkipped')) return;
    const reasons = new Map(decisions.map((d) => [d.id, d.outcome === 'Skipped' ? d.reason : '']));
    for (const id of skippedIds) {
      const task = state.byId.get(id);
      if (task === undefined) continue;
      this.#events.emit('taskSkipped', {
        executionId: runId,
        workflowName: workflowNameOf(task.taskName),
        taskName: task.taskName,
        taskId: shortTaskId(task.taskName),
        taskExecutionId: id,
        attempt: task.attempt,
        reason: reasons.get(id) ?? '',
      });
    }
  }

  /** 03 §6: the final context is the fold of the completed leaves' outputs, in id order. */
  async #finalize(runId: string, state: RunState, completedLeaves: string[]): Promise<void> {
    const { workflowName } = state;
    const outputs = completedLeaves.length === 0 ? [] : await this.#dal.taskExecutionMetadata.getDependencyMetadataWithContexts(runId, completedLeaves);
    const result = await this.#dal.pipelineExecution.finalize(
      runId,
      foldContexts(outputs.map((o) => o.context)),
    );
    // Over (by this pass or another): the snapshot is no longer needed.
    if (result.outcome !== 'not_finished') this.#runs.delete(runId);
    if (result.outcome !== 'finalized') return;
    this.#logger.debug(`Run ${runId} of '${workflowName}' finalized: ${result.status}`, { executionId: runId });
    if (result.status === 'Completed') {
      this.#events.emit('pipelineCompleted', { executionId: runId, workflowName });
    } else {
      this.#events.emit('pipelineFailed', { executionId: runId, workflowName, error: result.errorDetails ?? 'Failed' });
    }
  }
}
