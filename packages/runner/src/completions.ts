import { ClaimLostError, type ClaimResult, type CompletionItem, type CompletionOutcome, type Dal, type JsonObject, type Logger } from '@cloacina/core';
import { isTransientDatabaseError, withDbRetry } from './db-retry.js';
import type { FoldPlan } from './fold.js';
import { describeError } from './logger.js';

/** Claims, inside the completion transaction, the tasks it made Ready (the executor). */
export interface FollowUpClaimer {
  reserveClaim(): { limit: number; names: string[] } | null;
  takeClaims(reserved: { limit: number; names: string[] }, claims: readonly ClaimResult[]): Promise<void>;
  expectServedTicks(n: number): void;
}

/** Decides, inside the completion transaction, which dependents become Ready (the scheduler). */
export interface DependentsPlanner {
  planDependents(tx: Dal, runId: string, completed: readonly string[]): Promise<FoldPlan | null>;
  settleDependents(plan: FoldPlan, applied: { ready: string[]; skipped: string[] } | null): void;
}

interface Pending {
  readonly claim: ClaimResult;
  readonly output: JsonObject;
  readonly resolve: (written: boolean) => void;
}

/** Completions written per transaction at most; more wait for the next one. */
const MAX_BATCH = 256;

/**
 * Group commit of successful attempts (03 §8.4 "Success"): completions that arrive while a write
 * is in flight are written together by the next `completeManyWithOutput`, one transaction for
 * all of them. A lone completion is written at once, so batching adds no latency; under load it
 * turns one transaction per task into one per batch, which is what bounds SQLite's throughput.
 */
export class CompletionWriter {
  readonly #dal: Dal;
  readonly #runnerId: string;
  readonly #logger: Logger;
  readonly #planner: DependentsPlanner | null;
  readonly #claimer: FollowUpClaimer | null;
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;

  constructor(dal: Dal, runnerId: string, logger: Logger, planner: DependentsPlanner | null = null, claimer: FollowUpClaimer | null = null) {
    this.#dal = dal;
    this.#runnerId = runnerId;
    this.#logger = logger;
    this.#planner = planner;
    this.#claimer = claimer;
  }

  /**
   * Resolves true once the completion is committed; false when it was not written: the claim was
   * lost (by design nothing is recorded then), or the database stayed unavailable (the lease
   * lapses and recovery re-runs the attempt). Never rejects.
   */
  complete(claim: ClaimResult, output: JsonObject): Promise<boolean> {
    return new Promise((resolve) => {
      this.#queue.push({ claim, output, resolve });
      if (this.#flushing === null) this.#flushing = this.#drain();
    });
  }

  /** Resolves when every completion queued so far has been written (or given up on). */
  async idle(): Promise<void> {
    while (this.#flushing !== null) await this.#flushing;
  }

  async #drain(): Promise<void> {
    // Let completions of the same event-loop turn join the first batch.
    await Promise.resolve();
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      await this.#write(batch);
    }
    this.#flushing = null;
  }

  async #write(batch: Pending[]): Promise<void> {
    const items = batch.map((p) => ({ id: p.claim.id, output: p.output }));
    const what = `complete ${batch.length} task(s)`;
    let outcomes: CompletionOutcome[] | undefined;
    try {
      if (this.#planner !== null) {
        try {
          outcomes = await withDbRetry(what, () => this.#completeAndReady(batch, items), this.#logger);
        } catch (err) {
          // The database stayed unavailable: completing alone would fail the same way.
          if (isTransientDatabaseError(err)) throw err;
          // Anything else that went wrong in deciding the dependents must not cost the completions.
          this.#logger.debug(`Completion with readiness failed (${describeError(err)}); completing alone`);
        }
      }
      outcomes ??= await withDbRetry(what, () => this.#dal.taskExecution.completeManyWithOutput(this.#runnerId, items), this.#logger);
    } catch (err) {
      if (batch.length > 1 && !isTransientDatabaseError(err)) {
        // One bad item must not cost the others their completion: write them one by one.
        this.#logger.warn(`Batched completion of ${batch.length} tasks failed (${describeError(err)}); writing them one by one`);
        for (const p of batch) await this.#write([p]);
        return;
      }
      // Not written: the leases lapse and recovery re-runs the attempts (03 §8.4).
      const names = batch.slice(0, 3).map((p) => p.claim.taskName).join(', ') + (batch.length > 3 ? ` and ${batch.length - 3} more` : '');
      this.#logger.error(`Could not complete ${names}: ${describeError(err)}`, { error: err });
      for (const p of batch) p.resolve(false);
      return;
    }
    const done = outcomes;
    batch.forEach((p, i) => {
      const outcome = done[i] as CompletionOutcome;
      if (outcome.ok) return p.resolve(true);
      if (outcome.error instanceof ClaimLostError) {
        this.#logger.info(`Result of ${p.claim.taskName} attempt ${p.claim.attempt} discarded: ${outcome.error.message}`);
      } else {
        this.#logger.error(`Could not complete ${p.claim.taskName}: ${outcome.error.message}`, { error: outcome.error });
      }
      p.resolve(false);
    });
  }

  /**
   * The completions and, in the same transaction, the readiness of their dependents (03 §7.2
   * steps 2–3, normally a scheduler pass and a transaction of its own after each completion) and
   * a claim of what became Ready (normally the executor's next transaction): one transaction per
   * hop of a chain instead of three.
   */
  async #completeAndReady(batch: Pending[], items: CompletionItem[]): Promise<CompletionOutcome[]> {
    const planner = this.#planner as DependentsPlanner;
    const claimer = this.#claimer;
    const plans: FoldPlan[] = [];
    let applied: { ready: string[]; skipped: string[] } | null = null;
    let reserved: { limit: number; names: string[] } | null = null;
    let claims: ClaimResult[] = [];
    let served = 0;
    try {
      const outcomes = await this.#dal.transaction(async (tx) => {
        const outcomes = await tx.taskExecution.completeManyWithOutput(this.#runnerId, items);
        const completedByRun = new Map<string, string[]>();
        batch.forEach((p, i) => {
          if (!(outcomes[i] as CompletionOutcome).ok) return;
          const names = completedByRun.get(p.claim.pipelineExecutionId) ?? [];
          names.push(p.claim.taskName);
          completedByRun.set(p.claim.pipelineExecutionId, names);
        });
        for (const [runId, names] of completedByRun) {
          const plan = await planner.planDependents(tx, runId, names);
          if (plan !== null) plans.push(plan);
        }
        const decisions = plans.flatMap((p) => p.decisions);
        const result = decisions.length === 0 ? { ready: [], skipped: [] } : await tx.taskExecution.markReadiness(decisions);
        applied = result;
        // Permits are taken only once something became Ready, so an idle reservation never
        // holds back the executor's own claims.
        if (claimer !== null && result.ready.length > 0) reserved = claimer.reserveClaim();
        if (reserved !== null && claimer !== null) {
          claims = await tx.taskExecution.claimReadyTasks(this.#runnerId, reserved.limit, reserved.names);
          if (claims.length < reserved.limit) {
            // Everything Ready was claimed here: the task_ready signals (one per run) this
            // transaction sends would only start empty claims.
            const readyIds = new Set(result.ready);
            served = plans.filter((p) => p.decisions.some((d) => readyIds.has(d.id))).length;
            claimer.expectServedTicks(served);
          }
        }
        return outcomes;
      });
      for (const plan of plans) planner.settleDependents(plan, applied);
      if (reserved !== null) await claimer?.takeClaims(reserved, claims);
      return outcomes;
    } catch (err) {
      for (const plan of plans) planner.settleDependents(plan, null);
      claimer?.expectServedTicks(-served);
      if (reserved !== null) await claimer?.takeClaims(reserved, []);
      throw err;
    }
  }
}
