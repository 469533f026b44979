import { backoffDelay } from '../lib/backoff';
import { describeError, isAborted } from '../lib/errors';
import type { Logger } from '../lib/logger';

/**
 * Runs `pass` until nothing new arrived while it ran. A transient failure schedules a retry with exponential
 * backoff and jitter; an abort (superseded by newer desired state) just runs again. One pass at a time.
 */
export class ReconcileLoop {
  private stopped = false;
  private dirty = false;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly logger: Logger,
    private readonly retry: { baseMs: number; maxMs: number },
  ) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Something changed: run (again) now, forgetting earlier failures' backoff. */
  kick(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.failures = 0;
    this.wake();
  }

  wake(): void {
    this.dirty = true;
    if (this.running || this.stopped) return;
    this.running = this.loop()
      .catch((err: unknown) => this.logger.error('reconcile loop crashed', { error: describeError(err) }))
      .finally(() => {
        this.running = undefined;
        if (this.dirty && !this.stopped) this.wake();
      });
  }

  /** Stops scheduling; `beforeWait` aborts the pass in flight, whose end is awaited. */
  async stop(beforeWait: () => void): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    beforeWait();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      try {
        await this.pass();
        this.failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (isAborted(err)) continue; // a newer desired state is already marked dirty
        this.failures++;
        const delay = backoffDelay(this.failures, this.retry);
        this.logger.warn('reconcile failed; retrying', { error: describeError(err), inMs: delay, attempt: this.failures });
        this.retryTimer = setTimeout(() => this.wake(), delay);
      }
    }
  }
}
