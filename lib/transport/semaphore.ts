/**
 * A counting semaphore: at most `size` holders at once, the rest wait in order. Used to keep
 * the SSH channels of one connection under the server's MaxSessions.
 *
 * @example
 * const s = new Semaphore(8);
 * const release = await s.acquire();
 * try { await runOnChannel(); } finally { release(); }
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: { resolve: (release: () => void) => void; reject: (e: unknown) => void }[] = [];
  private failure: unknown;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer, got ${size}`);
  }

  /** How many holders there are now. */
  get inUse(): number {
    return this.active;
  }

  /** How many callers wait for a slot. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Waits for a slot; the returned function frees it (calling it twice is harmless). */
  acquire(): Promise<() => void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Rejects every waiter, and every later acquire, with `error` (the connection is gone). */
  fail(error: unknown): void {
    this.failure = error;
    for (const w of this.waiting.splice(0)) w.reject(error);
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next.resolve(this.releaser());
      else this.active--;
    };
  }
}
