/**
 * A counting semaphore. The executor only ever takes permits without waiting (it asks the
 * database for at most `available` tasks), but `acquire()` is provided for callers that want to
 * queue; waiters are served in FIFO order so nobody starves.
 */
export class Semaphore {
  readonly #capacity: number;
  #available: number;
  readonly #waiters: (() => void)[] = [];

  constructor(permits: number) {
    if (!Number.isSafeInteger(permits) || permits < 1) {
      throw new RangeError(`Semaphore needs a positive integer number of permits (got ${permits})`);
    }
    this.#capacity = permits;
    this.#available = permits;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Permits that can be taken right now. */
  get available(): number {
    return this.#available;
  }

  /** Permits currently held. */
  get inUse(): number {
    return this.#capacity - this.#available;
  }

  tryAcquire(): boolean {
    if (this.#available === 0) return false;
    this.#available--;
    return true;
  }

  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    // A queued waiter inherits the permit directly, so a tryAcquire() racing in between cannot
    // overtake it.
    if (next !== undefined) {
      next();
      return;
    }
    if (this.#available === this.#capacity) throw new Error('Semaphore released more often than acquired');
    this.#available++;
  }
}
