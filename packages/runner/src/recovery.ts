import type { Dal, JsonObject, LeaseGuard, Logger, TaskExecution } from '@cloacina/core';
import type { Catalogue } from './catalogue.js';
import type { RunnerEvents } from './events.js';
import { describeError } from './logger.js';
import { Ticker } from './ticker.js';

export interface RecoveryDeps {
  dal: Dal;
  catalogue: Catalogue;
  events: RunnerEvents;
  logger: Logger;
  runnerId: string;
  clock: () => Date;
  staleClaimThresholdMs: number;
  staleClaimSweepIntervalMs: number;
  maxRecoveryAttempts: number;
  abandonUnknownWorkflows: boolean;
}

/** `task_reset` recovery events say why (01 §7.4). */
export type RecoveryReason = 'runner_restart' | 'stale_heartbeat';

export interface RecoveryReport {
  /** Tasks put back to Ready (the same attempt re-runs). */
  reset: number;
  /** Tasks abandoned (recovery attempts exhausted, or workflow unavailable). */
  abandoned: number;
  /** Runs failed because of an abandoned task. */
  failedRuns: number;
}

const EXCEEDED = 'Exceeded recovery attempts';
const ABANDONMENT_FAILURE = 'Task abandonment caused pipeline failure';
const NOT_IN_REGISTRY = 'Workflow not in current registry';

/**
 * Lease recovery (03 §9): a task whose runner stopped heartbeating is put back to Ready and
 * re-run, or abandoned after `maxRecoveryAttempts`. Every action is a guarded transition, so a
 * lease renewed (or taken over) in the meantime is left alone, and the actions for one run and
 * their audit rows are one transaction.
 */
export class Recovery {
  readonly #d: RecoveryDeps;
  readonly #ticker: Ticker;

  constructor(deps: RecoveryDeps) {
    this.#d = deps;
    this.#ticker = new Ticker('Stale-claim sweep', deps.staleClaimSweepIntervalMs, () => this.sweep().then(() => undefined), deps.logger);
  }

  /**
   * Tasks still held under this runner id belong to a crashed predecessor with the same stable
   * id: recover them at once, without waiting for the stale threshold.
   */
  async reclaimOwn(): Promise<RecoveryReport> {
    const { dal, runnerId } = this.#d;
    const tasks = await dal.taskExecution.findClaimsByRunner(runnerId);
    return this.#recover(tasks, 'runner_restart', () => ({ claimedBy: runnerId }));
  }

  /** Recovers every claim whose heartbeat is older than the stale threshold. */
  async sweep(): Promise<RecoveryReport> {
    const cutoff = new Date(this.#d.clock().getTime() - this.#d.staleClaimThresholdMs);
    const tasks = await this.#d.dal.taskExecution.findStaleClaims(cutoff);
    // The guard repeats the observation: the reset applies only if nobody renewed the lease since.
    return this.#recover(tasks, 'stale_heartbeat', (t) => ({ claimedBy: t.claimedBy ?? '', heartbeatBefore: cutoff }));
  }

  /** Periodic sweeps; the first one is run (and awaited) by the runner at start. */
  start(): void {
    this.#ticker.start(false);
  }

  stop(): Promise<void> {
    return this.#ticker.stop();
  }

  async #recover(tasks: TaskExecution[], reason: RecoveryReason, guardOf: (t: TaskExecution) => LeaseGuard): Promise<RecoveryReport> {
    const report: RecoveryReport = { reset: 0, abandoned: 0, failedRuns: 0 };
    const byRun = new Map<string, TaskExecution[]>();
    for (const t of tasks) {
      let list = byRun.get(t.pipelineExecutionId);
      if (list === undefined) byRun.set(t.pipelineExecutionId, (list = []));
      list.push(t);
    }
    for (const [runId, list] of byRun) {
      try {
        const r = await this.#recoverRun(runId, list, reason, guardOf);
        report.reset += r.reset;
        report.abandoned += r.abandoned;
        report.failedRuns += r.failedRuns;
      } catch (err) {
        this.#d.logger.error(`Recovery of run ${runId} failed: ${describeError(err)}`, { executionId: runId, error: err });
      }
    }
    if (report.reset + report.abandoned > 0) {
      this.#d.logger.info(`Recovery (${reason}): ${report.reset} task(s) reset, ${report.abandoned} abandoned, ${report.failedRuns} run(s) failed`);
    }
    return report;
  }

  async #recoverRun(runId: string, tasks: TaskExecution[], reason: RecoveryReason, guardOf: (t: TaskExecution) => LeaseGuard): Promise<RecoveryReport> {
    const { dal, catalogue, maxRecoveryAttempts } = this.#d;
    const run = await dal.pipelineExecution.getById(runId);
    const workflowName = run.pipelineName;
    // Decided before the transaction: a registry refresh must not run inside it.
    const unavailable = this.#d.abandonUnknownWorkflows && !(await catalogue.resolveWorkflow(workflowName));
    const available = catalogue.names();

    const outcome = await dal.transaction(async (tx) => {
      const r: RecoveryReport = { reset: 0, abandoned: 0, failedRuns: 0 };
      const event = (taskExecutionId: string | null, recoveryType: 'task_reset' | 'task_abandoned' | 'pipeline_failed' | 'workflow_unavailable', details: JsonObject) =>
        tx.recoveryEvent.create({ pipelineExecutionId: runId, taskExecutionId, recoveryType, details });
      for (const t of tasks) {
        const guard = guardOf(t);
        if (unavailable) {
          if (await tx.taskExecution.markAbandoned(t.id, `Workflow '${workflowName}' no longer available in registry`, guard)) {
            r.abandoned++;
            await event(t.id, 'workflow_unavailable', {
              task_name: t.taskName,
              workflow_name: workflowName,
              reason: NOT_IN_REGISTRY,
              action: 'abandoned',
              available_workflows: available,
            });
          }
        } else if (t.recoveryAttempts >= maxRecoveryAttempts) {
          if (await tx.taskExecution.markAbandoned(t.id, EXCEEDED, guard)) {
            r.abandoned++;
            await event(t.id, 'task_abandoned', {
              task_name: t.taskName,
              recovery_attempts: t.recoveryAttempts,
              reason: 'Exceeded maximum recovery attempts',
            });
          }
        } else if (await tx.taskExecution.resetTaskForRecovery(t.id, guard)) {
          r.reset++;
          await event(t.id, 'task_reset', {
            task_name: t.taskName,
            previous_status: 'Running',
            new_status: 'Ready',
            recovery_attempt: t.recoveryAttempts + 1,
            previous_runner: t.claimedBy,
            reason,
          });
        }
      }
      if (r.reset > 0) await tx.pipelineExecution.incrementRecoveryAttempts(runId);
      if (r.abandoned > 0) {
        // Guarded: a run that already ended is left as it is and gets no event.
        const failReason = unavailable ? `Workflow '${workflowName}' no longer available - abandoned during recovery` : ABANDONMENT_FAILURE;
        if (await tx.pipelineExecution.markFailed(runId, failReason)) {
          r.failedRuns++;
          await event(
            null,
            unavailable ? 'workflow_unavailable' : 'pipeline_failed',
            unavailable
              ? { workflow_name: workflowName, reason: NOT_IN_REGISTRY, action: 'pipeline_failed', abandoned_tasks: r.abandoned, available_workflows: available }
              : { reason: ABANDONMENT_FAILURE, abandoned_tasks: r.abandoned },
          );
        }
      }
      return r;
    });
    if (outcome.failedRuns > 0) {
      const error = unavailable ? `Workflow '${workflowName}' no longer available - abandoned during recovery` : ABANDONMENT_FAILURE;
      this.#d.events.emit('pipelineFailed', { executionId: runId, workflowName, error });
    }
    return outcome;
  }
}
