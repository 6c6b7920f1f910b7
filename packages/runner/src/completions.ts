import { ClaimLostError, type ClaimResult, type CompletionOutcome, type Dal, type JsonObject, type Logger } from '@cloacina/core';
import { withDbRetry } from './db-retry.js';
import { describeError } from './logger.js';

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
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;

  constructor(dal: Dal, runnerId: string, logger: Logger) {
    this.#dal = dal;
    this.#runnerId = runnerId;
    this.#logger = logger;
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
    let outcomes: CompletionOutcome[];
    try {
      outcomes = await withDbRetry(`complete ${batch.length} task(s)`, () => this.#dal.taskExecution.completeManyWithOutput(this.#runnerId, items), this.#logger);
    } catch (err) {
      if (batch.length > 1) {
        // One bad item must not cost the others their completion: write them one by one.
        this.#logger.warn(`Batched completion of ${batch.length} tasks failed (${describeError(err)}); writing them one by one`);
        for (const p of batch) await this.#write([p]);
        return;
      }
      const p = batch[0] as Pending;
      this.#logger.error(`Could not complete ${p.claim.taskName}: ${describeError(err)}`, { error: err });
      p.resolve(false);
      return;
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i] as CompletionOutcome;
      if (outcome.ok) return p.resolve(true);
      if (outcome.error instanceof ClaimLostError) {
        this.#logger.info(`Result of ${p.claim.taskName} attempt ${p.claim.attempt} discarded: ${outcome.error.message}`);
      } else {
        this.#logger.error(`Could not complete ${p.claim.taskName}: ${outcome.error.message}`, { error: outcome.error });
      }
      p.resolve(false);
    });
  }
}
