/**
 * How many blocks a transfer keeps requested: grows while throughput grows, shrinks on stalls. One big transfer over
 * a fast path needs more than the starting window in flight to fill it; a slow or lossy path (a congested broker,
 * a control plane serving many devices) loses nothing by a smaller one and sees fewer late re-requests.
 *
 * Throughput is measured per round (the blocks of one window arriving). A round that beats the best rate so far by
 * GAIN doubles the window (up to `max`); a round that does not keeps it; a round clearly slower than the best
 * (below LOSS of it) steps back to the window that rate was seen with. A block whose answer timed out halves it
 * (not below `min`) and forgets the rates measured: the path changed.
 */
export class AdaptiveWindow {
  private current: number;
  private roundStart: number;
  private roundBlocks = 0;
  private best: { rate: number; size: number } | undefined;

  constructor(
    private readonly opts: { initial: number; min: number; max: number },
    private readonly now: () => number = () => performance.now(),
  ) {
    this.current = clamp(opts.initial, opts.min, opts.max);
    this.roundStart = this.now();
  }

  /** Blocks to keep requested now. */
  get size(): number {
    return this.current;
  }

  /** A block arrived (and was kept). */
  delivered(): void {
    if (++this.roundBlocks < this.current) return;
    const t = this.now();
    const rate = this.roundBlocks / Math.max(t - this.roundStart, 1e-3);
    if (!this.best || rate > this.best.rate * GAIN) {
      this.best = { rate, size: this.current };
      this.current = clamp(this.current * 2, this.opts.min, this.opts.max);
    } else if (rate < this.best.rate * LOSS) {
      this.current = clamp(this.best.size, this.opts.min, this.opts.max);
    }
    this.roundStart = t;
    this.roundBlocks = 0;
  }

  /** An answer was late (lost, or the path is congested). */
  stalled(): void {
    this.current = clamp(Math.floor(this.current / 2), this.opts.min, this.opts.max);
    this.best = undefined;
    this.roundStart = this.now();
    this.roundBlocks = 0;
  }
}

/** A round must beat the best rate by 10 % to grow the window again, and fall below 70 % of it to step back. */
const GAIN = 1.1;
const LOSS = 0.7;

const clamp = (n: number, min: number, max: number) => Math.max(min, Math.min(max, Math.round(n)));
