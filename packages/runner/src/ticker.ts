import type { Logger } from '@cloacina/core';
import { describeError } from './logger.js';

/**
 * Runs `work` every `intervalMs` and whenever `trigger()` is called, never twice at once.
 *
 * * A trigger that arrives while `work` runs schedules exactly one more run right after it, so
 *   bursts of wake-up signals coalesce instead of piling up.
 * * The periodic timer is independent of triggers: a steady stream of wake-ups cannot postpone
 *   the fallback poll forever. `work(periodic)` is told whether a periodic tick is included, so
 *   the scheduler can tell "full pass" from "targeted pass".
 * * Timers are deliberately not unref'd: a worker process whose only job is the runner must stay
 *   alive until `shutdown()`.
 */
export class Ticker {
  readonly #name: string;
  readonly #intervalMs: number;
  readonly #work: (periodic: boolean) => Promise<void>;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #periodicDue = false;
  #started = false;
  #stopped = false;
  /** Consecutive failures: only the first is an error, so a database outage is not 10 log lines a second. */
  #failures = 0;

  constructor(name: string, intervalMs: number, work: (periodic: boolean) => Promise<void>, logger: Logger) {
    this.#name = name;
    this.#intervalMs = intervalMs;
    this.#work = work;
    this.#logger = logger;
  }

  /** Starts the loop; with `immediate` the first (periodic) run happens at once, else after one interval. */
  start(immediate = true): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    if (immediate) this.#fire(true);
    else this.#arm();
  }

  /** Requests a run as soon as possible (coalesced with any run already requested). */
  trigger(): void {
    this.#fire(false);
  }

  /** Stops the loop and waits for a run in progress to finish. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  #fire(periodic: boolean): void {
    if (!this.#started || this.#stopped) return;
    if (periodic) this.#periodicDue = true;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop();
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      const periodic = this.#periodicDue;
      this.#periodicDue = false;
      try {
        await this.#work(periodic);
        if (this.#failures > 0) this.#logger.info(`${this.#name} works again after ${this.#failures} failed run(s)`);
        this.#failures = 0;
      } catch (err) {
        const log = this.#failures++ === 0 ? this.#logger.error : this.#logger.debug;
        log.call(this.#logger, `${this.#name} failed: ${describeError(err)}`, { error: err });
      }
    } while (this.#again && !this.#stopped);
    this.#running = null;
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped || this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#fire(true);
    }, this.#intervalMs);
  }
}
