/**
 * An async FIFO mutex. SQLite DALs put every statement of the single writer connection
 * behind it while a transaction is open, so another flow's autocommit write cannot land
 * inside (and be rolled back with) someone else's transaction.
 */
export class FifoLock {
  private locked = false;
  private readonly queue: Array<() => void> = [];

  get waiting(): number {
    return this.queue.length;
  }

  get isLocked(): boolean {
    return this.locked;
  }

  /** Resolves with a release function once the lock is held. */
  acquire(timeoutMs?: number, onTimeout?: () => Error): Promise<() => void> {
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const grant = () => {
        if (timer) clearTimeout(timer);
        resolve(this.releaser());
      };
      this.queue.push(grant);
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          const i = this.queue.indexOf(grant);
          if (i >= 0) {
            this.queue.splice(i, 1);
            reject(onTimeout ? onTimeout() : new Error('lock acquire timed out'));
          }
        }, timeoutMs);
        timer.unref?.();
      }
    });
  }

  async run<T>(fn: () => Promise<T>, timeoutMs?: number, onTimeout?: () => Error): Promise<T> {
    const release = await this.acquire(timeoutMs, onTimeout);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.queue.shift();
      if (next) next();
      else this.locked = false;
    };
  }
}
