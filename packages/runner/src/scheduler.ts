import { foldContexts, type Dal, type Logger, type TaskExecution } from '@cloacina/core';
import type { RunnerEvents } from './events.js';
import { describeError } from './logger.js';
import { planReadiness, type ReadinessPlan } from './readiness.js';
import { shortTaskId, workflowNameOf } from './results.js';
import { Ticker } from './ticker.js';

export interface SchedulerDeps {
  dal: Dal;
  events: RunnerEvents;
  logger: Logger;
  pollIntervalMs: number;
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
    if (periodic) for (const run of await this.#dal.pipelineExecution.getActiveExecutions()) ids.add(run.id);
    const all = [...ids];
    for (let i = 0; i < all.length; i += BATCH) {
      const batch = all.slice(i, i + BATCH);
      const byRun = new Map<string, TaskExecution[]>(batch.map((id) => [id, []]));
      for (const t of await this.#dal.taskExecution.getTasksForPipelines(batch)) byRun.get(t.pipelineExecutionId)?.push(t);
      for (const [runId, tasks] of byRun) {
        try {
          await this.#processRun(runId, tasks);
        } catch (err) {
          // 03 §7.2 step 5: one broken run must not stall the others.
          this.#logger.error(`Scheduler pass failed for run ${runId}: ${describeError(err)}`, { executionId: runId, error: err });
        }
      }
    }
  }

  async #processRun(runId: string, tasks: TaskExecution[]): Promise<void> {
    // No rows: a run this runner cannot see (deleted, or another schema) — nothing to decide.
    if (tasks.length === 0) return;
    const plan = await planReadiness(tasks, (_task, deps) => this.#dal.taskExecution.buildInputContext(runId, deps));
    if (plan.decisions.length > 0) {
      const applied = await this.#dal.taskExecution.markReadiness(plan.decisions);
      this.#announceSkips(runId, tasks, plan, applied.skipped);
      // Fewer changes than decisions: another runner (or a cancellation) got there first. Its
      // signals bring this run back if anything is left to do.
      if (applied.ready.length + applied.skipped.length < plan.decisions.length) return;
    }
    if (plan.finished) await this.#finalize(runId, workflowNameOf((tasks[0] as TaskExecution).taskName), plan.completedLeaves);
  }

  #announceSkips(runId: string, tasks: TaskExecution[], plan: ReadinessPlan, skippedIds: string[]): void {
    if (skippedIds.length === 0 || !this.#events.has('taskSkipped')) return;
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const reasons = new Map(plan.decisions.map((d) => [d.id, d.outcome === 'Skipped' ? d.reason : '']));
    for (const id of skippedIds) {
      const task = byId.get(id);
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
  async #finalize(runId: string, workflowName: string, completedLeaves: string[]): Promise<void> {
    const outputs = completedLeaves.length === 0 ? [] : await this.#dal.taskExecutionMetadata.getDependencyMetadataWithContexts(runId, completedLeaves);
    const result = await this.#dal.pipelineExecution.finalize(
      runId,
      foldContexts(outputs.map((o) => o.context)),
    );
    if (result.outcome !== 'finalized') return;
    this.#logger.debug(`Run ${runId} of '${workflowName}' finalized: ${result.status}`, { executionId: runId });
    if (result.status === 'Completed') {
      this.#events.emit('pipelineCompleted', { executionId: runId, workflowName });
    } else {
      this.#events.emit('pipelineFailed', { executionId: runId, workflowName, error: result.errorDetails ?? 'Failed' });
    }
  }
}
