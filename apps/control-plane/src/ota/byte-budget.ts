/**
 * A FIFO semaphore counted in bytes: bounds how much block data is read from disk but not yet acknowledged by
 * the broker, however many devices ask at once. Waiters are served in arrival order so one device asking for
 * a large window cannot starve the others.
 */
export class ByteBudget {
  private available: number;
  private readonly waiters: Array<{ bytes: number; resolve: () => void }> = [];

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`byte budget must be positive, got ${capacity}`);
    this.available = capacity;
  }

  get inUse(): number {
    return this.capacity - this.available;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Waits until `bytes` fit. A request larger than the capacity is clamped so it can still run (alone). */
  acquire(bytes: number): Promise<number> {
    const n = Math.min(bytes, this.capacity);
    if (this.waiters.length === 0 && n <= this.available) {
      this.available -= n;
      return Promise.resolve(n);
    }
    return new Promise((resolve) => this.waiters.push({ bytes: n, resolve: () => resolve(n) }));
  }

  /** Returns what acquire() resolved with. */
  release(bytes: number): void {
    this.available = Math.min(this.capacity, this.available + bytes);
    while (this.waiters.length > 0 && this.waiters[0]!.bytes <= this.available) {
      const next = this.waiters.shift()!;
      this.available -= next.bytes;
      next.resolve();
    }
  }
}
