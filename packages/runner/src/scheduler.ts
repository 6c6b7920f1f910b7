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
import { completedLeavesOf, decideReadiness, snapshotOf, type SnapshotTask } from './readiness.js';
import { shortTaskId, workflowNameOf } from './results.js';
import { Ticker } from './ticker.js';

export interface SchedulerDeps {
  dal: Dal;
  events: RunnerEvents;
  logger: Logger;
  pollIntervalMs: number;
}

interface RunState {
  readonly snapshot: readonly SnapshotTask[];
  readonly byId: ReadonlyMap<string, SnapshotTask>;
  /** Tasks NotStarted when last seen, id order; NotStarted is never entered again. */
  pending: readonly SnapshotTask[];
  readonly workflowName: string;
}

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
    this.#dirty.add(executionId);
    this.#ticker.trigger();
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
          else if (known !== undefined) await this.#processKnown(runId, known);
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
    const snapshot = snapshotOf(rows);
    const status = new Map<string, TaskStatus>(rows.map((t) => [t.taskName, t.status]));
    const state: RunState = {
      snapshot,
      byId: new Map(snapshot.map((t) => [t.id, t])),
      pending: snapshot.filter((t) => status.get(t.taskName) === 'NotStarted'),
      workflowName: workflowNameOf((snapshot[0] as SnapshotTask).taskName),
    };
    this.#runs.set(runId, state);
    await this.#decide(runId, state, status, true);
  }

  /**
   * A run seen before: only the statuses of its NotStarted tasks (as last seen — a task never
   * becomes NotStarted again) and of the tasks their rules look at are read.
   */
  async #processKnown(runId: string, state: RunState): Promise<void> {
    const names = new Set<string>();
    for (const t of state.pending) {
      names.add(t.taskName);
      for (const n of t.looksAt) names.add(n);
    }
    const status = new Map<string, TaskStatus>();
    if (names.size > 0) {
      const found = await this.#dal.taskExecution.getTaskStatusesBatch(runId, [...names]);
      for (const [name, s] of Object.entries(found)) status.set(name, s);
    }
    await this.#decide(runId, state, status, false);
  }

  /** `complete`: `status` holds every row of the run, not only the ones the decisions need. */
  async #decide(runId: string, state: RunState, status: Map<string, TaskStatus>, complete: boolean): Promise<void> {
    const decisions = await decideReadiness(state.pending, status, (_task, deps) => this.#dal.taskExecution.buildInputContext(runId, deps));
    if (decisions.length > 0) {
      const applied = await this.#dal.taskExecution.markReadiness(decisions);
      state.pending = state.pending.filter((t) => status.get(t.taskName) === 'NotStarted');
      this.#announceSkips(runId, state, decisions, applied.skipped);
      // Fewer changes than decisions: another runner (or a cancellation) got there first. Its
      // signals bring this run back if anything is left to do.
      if (applied.ready.length + applied.skipped.length < decisions.length) return;
    } else {
      state.pending = state.pending.filter((t) => status.get(t.taskName) === 'NotStarted');
    }
    if (complete) {
      if (![...status.values()].every(isTerminalTaskStatus)) return;
      await this.#finalize(runId, state, completedLeavesOf(state.snapshot, (n) => status.get(n)));
      return;
    }
    // Something is known to be open: not finished, no need to ask.
    if (state.pending.length > 0 || ![...status.values()].every(isTerminalTaskStatus)) return;
    if (!(await this.#dal.taskExecution.checkPipelineCompletion(runId))) return;
    const leaves = state.snapshot.filter((t) => t.leaf).map((t) => t.taskName);
    const leafStatus = leaves.length === 0 ? {} : await this.#dal.taskExecution.getTaskStatusesBatch(runId, leaves);
    const statusOf = (n: string) => (Object.prototype.hasOwnProperty.call(leafStatus, n) ? (leafStatus as Record<string, TaskStatus>)[n] : undefined);
    await this.#finalize(runId, state, completedLeavesOf(state.snapshot, statusOf));
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
