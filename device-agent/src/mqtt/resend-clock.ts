import { backoffDelay, type BackoffOptions } from '../lib/backoff';

/**
 * When each unacknowledged message goes out again: per key, exponential backoff with jitter over the attempts that
 * reached the link, and ONE timer at the earliest due. Shared by the outbox's sender (progress, reports) and the
 * telemetry reporter; the owner decides what a key is and resends it.
 */
export class ResendClock<K> {
  private readonly due = new Map<K, { attempts: number; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** `onDue` gets the keys whose resend is due, in the order they were first sent; it calls `sent` or `forget` for each. */
  constructor(private readonly retry: Omit<BackoffOptions, 'random'>, private readonly onDue: (keys: K[]) => void) {}

  /**
   * `key` was just (re)sent — `published`: the link was connected, so it counts as an attempt — and is due again
   * after the backoff of the attempts before this one.
   */
  sent(key: K, published: boolean): void {
    const a = this.due.get(key) ?? { attempts: 0, at: 0 };
    a.at = Date.now() + backoffDelay(a.attempts, this.retry);
    if (published) a.attempts++;
    this.due.set(key, a);
    this.schedule();
  }

  /** Acknowledged, refused or gone: never due again. */
  forget(key: K): void {
    this.due.delete(key);
    if (this.due.size === 0) this.clear();
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.clear();
    let next = Infinity;
    for (const a of this.due.values()) next = Math.min(next, a.at);
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = Date.now();
    const keys = [...this.due].filter(([, a]) => a.at <= now).map(([k]) => k);
    if (keys.length > 0) this.onDue(keys);
    this.schedule();
  }
}
