import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AutopilotConfig } from './autopilot.config';
import { AutopilotService } from './autopilot.service';

type Work = { kind: 'pair'; targetId: string; profileClass: string } | { kind: 'target'; targetId: string } | { kind: 'all' } | { kind: 'device'; deviceId: string } | { kind: 'due' };

const keyOf = (w: Work): string => {
  switch (w.kind) {
    case 'pair': return `pair:${w.targetId}:${w.profileClass}`;
    case 'target': return `target:${w.targetId}`;
    case 'device': return `device:${w.deviceId}`;
    case 'all': return 'all';
    case 'due': return 'due';
  }
};

/**
 * When the autopilot runs: on events (a device's hello or report, a target created), when a pair's job or
 * deployment has moved on (the watch timer, which also sees jobs finished by a worker on another machine), and
 * on a periodic full pass. Work runs one item at a time in this process (the database lease orders control
 * planes among themselves); a request for work already waiting is merged into it.
 */
@Injectable()
export class AutopilotScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Autopilot');
  private readonly waiting = new Map<string, Work>();
  private running?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(private readonly autopilot: AutopilotService, private readonly config: AutopilotConfig) {}

  onApplicationBootstrap(): void {
    if (!this.config.enabled) return;
    this.timers.push(setInterval(() => this.request({ kind: 'all' }), this.config.intervalMs));
    this.timers.push(setInterval(() => this.request({ kind: 'due' }), this.config.watchMs));
    for (const t of this.timers) t.unref();
    this.request({ kind: 'all' });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.waiting.clear();
    await this.running;
  }

  /** A device said hello or sent a report: its pairs are reconciled after `eventDelayMs` (its handler commits first). */
  deviceEvent(deviceId: string): void {
    if (!this.config.enabled) return;
    const t = setTimeout(() => this.request({ kind: 'device', deviceId }), this.config.eventDelayMs);
    t.unref();
  }

  targetCreated(targetId: string): void {
    if (this.config.enabled) this.request({ kind: 'target', targetId });
  }

  /** Resolves when nothing is waiting or running (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private request(w: Work): void {
    if (this.stopped) return;
    this.waiting.set(keyOf(w), w);
    this.running ??= this.drain().finally(() => { this.running = undefined; });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.waiting.size > 0) {
      const [key, w] = this.waiting.entries().next().value as [string, Work];
      this.waiting.delete(key);
      try {
        await this.run(w);
      } catch (err) {
        // Logged and left for the next event or tick: one bad pair must not stop the loop for the others.
        this.log.warn(`autopilot ${key}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async run(w: Work): Promise<void> {
    switch (w.kind) {
      case 'all': return this.autopilot.reconcileAll();
      case 'target': return this.autopilot.reconcileTarget(w.targetId);
      case 'pair': {
        await this.autopilot.reconcilePair(w.targetId, w.profileClass);
        return;
      }
      case 'device': {
        for (const p of await this.autopilot.pairsOfDevice(w.deviceId)) this.waiting.set(keyOf({ kind: 'pair', ...p }), { kind: 'pair', ...p });
        return;
      }
      case 'due': {
        for (const p of await this.autopilot.pairsDue()) this.waiting.set(keyOf({ kind: 'pair', ...p }), { kind: 'pair', ...p });
        return;
      }
    }
  }
}
