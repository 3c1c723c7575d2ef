import { TooManyRequestsError } from '../errors.js';

/**
 * A sliding-window counter per key, in this process's memory. Good for one
 * instance; several instances each count on their own (the limits then apply per
 * instance, which the README says).
 */
export class RateLimiter {
  private windows = new Map<string, { start: number; prev: number; count: number }>();

  constructor(
    /** Requests allowed per window. */
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a hit; returns how many seconds to wait when over the limit, else 0. */
  hit(key: string): number {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w) {
      if (this.windows.size > 100_000) this.sweep(t);
      w = { start: t - (t % this.windowMs), prev: 0, count: 0 };
      this.windows.set(key, w);
    }
    const elapsedWindows = Math.floor((t - w.start) / this.windowMs);
    if (elapsedWindows >= 1) {
      w.prev = elapsedWindows === 1 ? w.count : 0;
      w.count = 0;
      w.start += elapsedWindows * this.windowMs;
    }
    // Weight the previous window by how much of it still overlaps the sliding window.
    const overlap = 1 - (t - w.start) / this.windowMs;
    const estimate = w.prev * overlap + w.count;
    if (estimate >= this.limit) {
      return Math.max(1, Math.ceil((w.start + this.windowMs - t) / 1000));
    }
    w.count += 1;
    return 0;
  }

  /** Throws a 429 problem (with Retry-After) when the key is over its limit. */
  check(key: string, detail?: string): void {
    const wait = this.hit(key);
    if (wait > 0) throw new TooManyRequestsError(wait, detail);
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start > 2 * this.windowMs) this.windows.delete(k);
  }
}
