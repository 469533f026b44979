/**
 * Round-robin over per-key FIFO queues: `next()` takes one item from the key whose turn it is, then moves that
 * key to the back. However much one device has queued, every other device with something queued is served
 * after at most one of its items — a flooder gets its 1/N share, never more.
 */
export class FairQueue<T> {
  private readonly queues = new Map<string, T[]>();
  private readonly ring: string[] = [];

  /** Items queued for `key`. */
  size(key: string): number {
    return this.queues.get(key)?.length ?? 0;
  }

  get empty(): boolean {
    return this.ring.length === 0;
  }

  push(key: string, item: T): void {
    const q = this.queues.get(key);
    if (q) {
      q.push(item);
      return;
    }
    this.queues.set(key, [item]);
    this.ring.push(key);
  }

  next(): { key: string; item: T } | undefined {
    const key = this.ring.shift();
    if (key === undefined) return undefined;
    const q = this.queues.get(key)!;
    const item = q.shift()!;
    if (q.length > 0) this.ring.push(key);
    else this.queues.delete(key);
    return { key, item };
  }

  /** Drops every queued item of `key` matching `pred`; returns them. */
  remove(key: string, pred: (item: T) => boolean): T[] {
    const q = this.queues.get(key);
    if (!q) return [];
    const removed = q.filter(pred);
    const kept = q.filter((i) => !pred(i));
    if (kept.length > 0) {
      this.queues.set(key, kept);
    } else {
      this.queues.delete(key);
      this.ring.splice(this.ring.indexOf(key), 1);
    }
    return removed;
  }
}

/** Per-key token buckets: `capacity` requests at once, refilled at `perSecond`. Idle keys are forgotten. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly capacity: number, private readonly perSecond: number, private readonly now: () => number = Date.now) {}

  take(key: string): boolean {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (this.buckets.size >= 100_000) this.forgetFull(now);
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private forgetFull(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.capacity) this.buckets.delete(k);
  }
}
