import { NotFoundError, PipelineTimeoutError, type Logger, type PipelineStatus } from '@cloacina/core';
import { describeError } from './logger.js';
import { isTerminal } from './results.js';
import { Ticker } from './ticker.js';

interface Observer {
  onStatus(status: PipelineStatus): void;
  onError(err: unknown): void;
}

export interface WaitOptions {
  /** Wait limit in ms; `null` waits forever. */
  timeoutMs: number | null;
  /** Stops waiting (only waiting: the run continues). */
  signal?: AbortSignal | undefined;
}

/**
 * Watches run statuses for `execute()`, handles and status callbacks (03 §10). A run is looked
 * at when a pipeline-level signal names it and, as a safety net for lost signals and for other
 * processes on SQLite, on a poll every `resultPollIntervalMs`. Whichever path sees a status first
 * reports it; observers deduplicate, so a terminal status resolves a waiter exactly once.
 */
export class RunWatch {
  readonly #observers = new Map<string, Set<Observer>>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #recheck = new Set<string>();
  readonly #pending = new Set<(err: unknown) => void>();
  readonly #load: (executionId: string) => Promise<PipelineStatus>;
  readonly #loadActive: () => Promise<ReadonlyMap<string, PipelineStatus>>;
  readonly #logger: Logger;
  readonly #ticker: Ticker;

  /**
   * `load` reads one run's status; `loadActive` the statuses of every active (Pending or Running)
   * run in one query, so the poll costs one read however many runs are watched, plus one per
   * watched run that is no longer active.
   */
  constructor(
    load: (executionId: string) => Promise<PipelineStatus>,
    loadActive: () => Promise<ReadonlyMap<string, PipelineStatus>>,
    pollIntervalMs: number,
    logger: Logger,
  ) {
    this.#load = load;
    this.#loadActive = loadActive;
    this.#logger = logger;
    this.#ticker = new Ticker('Result poll', pollIntervalMs, () => this.#poll(), logger);
  }

  async #poll(): Promise<void> {
    const watched = [...this.#observers.keys()];
    if (watched.length === 0) return;
    const active = watched.length === 1 ? new Map<string, PipelineStatus>() : await this.#loadActive();
    await Promise.all(
      watched.map((id) => {
        const status = active.get(id);
        if (status === undefined) return this.check(id);
        this.#dispatch(id, (o) => o.onStatus(status));
        return undefined;
      }),
    );
  }

  start(): void {
    this.#ticker.start(false);
  }

  /**
   * Looks at a run now, if anybody watches it. A request that arrives while a read of the same
   * run is in flight schedules one more read after it: the status may have changed after the
   * first read started, and that change must not wait for the poll.
   */
  check(executionId: string): Promise<void> {
    if (!this.#observers.has(executionId)) return Promise.resolve();
    const running = this.#inFlight.get(executionId);
    if (running !== undefined) {
      this.#recheck.add(executionId);
      return running;
    }
    const read = this.#load(executionId)
      .then(
        (status) => this.#dispatch(executionId, (o) => o.onStatus(status)),
        (err: unknown) => {
          if (err instanceof NotFoundError) this.#dispatch(executionId, (o) => o.onError(err));
          else this.#logger.warn(`Could not read the status of run ${executionId}: ${describeError(err)}`);
        },
      )
      .finally(() => {
        this.#inFlight.delete(executionId);
        if (this.#recheck.delete(executionId)) void this.check(executionId);
      });
    this.#inFlight.set(executionId, read);
    return read;
  }

  /** Calls `onStatus` with every status seen (repeats included) until unsubscribed. */
  observe(executionId: string, observer: Observer): () => void {
    let set = this.#observers.get(executionId);
    if (set === undefined) this.#observers.set(executionId, (set = new Set()));
    set.add(observer);
    // Look once right away: the run may already have ended before anybody watched it.
    void this.check(executionId);
    return () => {
      set.delete(observer);
      if (set.size === 0 && this.#observers.get(executionId) === set) this.#observers.delete(executionId);
    };
  }

  /**
   * Resolves with the terminal status; rejects with PipelineTimeoutError (carrying the id) when
   * `timeoutMs` passes, with the signal's reason when it aborts, NotFoundError if the run is
   * deleted, and the shutdown error if the runner stops first.
   */
  waitForTerminal(executionId: string, opts: WaitOptions, onChange?: (status: PipelineStatus) => void): Promise<PipelineStatus> {
    return new Promise<PipelineStatus>((resolve, reject) => {
      const { signal, timeoutMs } = opts;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      let last: PipelineStatus | undefined;
      const finish = (settle: () => void) => {
        unsubscribe();
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(fail);
        settle();
      };
      const fail = (err: unknown) => finish(() => reject(err));
      const onAbort = () => fail(signal?.reason);
      const unsubscribe = this.observe(executionId, {
        onStatus: (status) => {
          if (status !== last) {
            last = status;
            onChange?.(status);
          }
          if (isTerminal(status)) finish(() => resolve(status));
        },
        onError: fail,
      });
      this.#pending.add(fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== null) timer = setTimeout(() => fail(new PipelineTimeoutError(executionId, timeoutMs)), timeoutMs);
    });
  }

  /** Stops polling and rejects every pending wait with `err`. */
  async close(err: unknown): Promise<void> {
    for (const fail of [...this.#pending]) fail(err);
    await this.#ticker.stop();
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  #dispatch(executionId: string, call: (o: Observer) => void): void {
    for (const o of [...(this.#observers.get(executionId) ?? [])]) call(o);
  }
}
