import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AutopilotConfig } from './autopilot.config';
import { AutopilotService, type Pair } from './autopilot.service';

type Work =
  | ({ kind: 'pair' } & Pair)
  | { kind: 'target'; targetId: string }
  | { kind: 'device'; deviceId: string; profileClass: string; tags: readonly string[] }
  | { kind: 'reported'; deviceId: string }
  | { kind: 'family'; family: string | null }
  | { kind: 'due' }
  | { kind: 'sweep' };

const keyOf = (w: Work): string => {
  switch (w.kind) {
    case 'pair': return `pair:${w.targetId}:${w.profileClass}`;
    case 'target': return `target:${w.targetId}`;
    case 'device': return `device:${w.deviceId}`;
    case 'reported': return `reported:${w.deviceId}`;
    case 'family': return `family:${w.family ?? ''}`;
    case 'due': return 'due';
    case 'sweep': return 'sweep';
  }
};

/** What the loop has done since start (the bench and tests read it). */
export interface AutopilotStats {
  reconciles: number;
  reconcileMs: number;
  sweeps: number;
  pausedMs: number;
}

/**
 * When the autopilot runs, and how much of the control plane it may take.
 *
 * Work comes from domain events emitted after commit (a device registered or changed, a report stored, models
 * published, a target created) — each names the few pairs it can change — and from the watch timer, which looks
 * in one query at pairs waiting on a job or deployment (a worker on another machine may have finished it). A
 * slow safety pass (every AUTOPILOT_INTERVAL_MS) walks every pair behind the events, for what another control
 * plane heard. Event work goes first; the safety pass fills the gaps.
 *
 * One item at a time (so one database connection at a time); after each, the loop pauses so its busy time stays
 * within AUTOPILOT_MAX_SHARE of the wall clock — on the embedded single-connection database that is what keeps
 * requests answered while it works through a large fleet. Requests for work already waiting are merged into it.
 */
@Injectable()
export class AutopilotScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Autopilot');
  private readonly urgent = new Map<string, Work>();
  private readonly background = new Map<string, Work>();
  private running?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private pause?: { timer: NodeJS.Timeout; done: () => void };
  private readonly counters: AutopilotStats = { reconciles: 0, reconcileMs: 0, sweeps: 0, pausedMs: 0 };

  constructor(private readonly autopilot: AutopilotService, private readonly config: AutopilotConfig) {}

  onApplicationBootstrap(): void {
    if (!this.config.enabled) return;
    this.timers.push(setInterval(() => this.request({ kind: 'sweep' }), this.config.intervalMs));
    this.timers.push(setInterval(() => this.request({ kind: 'due' }), this.config.watchMs));
    for (const t of this.timers) t.unref();
    this.request({ kind: 'sweep' });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.urgent.clear();
    this.background.clear();
    this.endPause();
    await this.running;
  }

  get stats(): AutopilotStats {
    return { ...this.counters };
  }

  deviceChanged(d: { deviceId: string; profileClass: string; tags: readonly string[] }): void {
    this.request({ kind: 'device', ...d });
  }

  /** A device reported, or was unpinned: its pairs are looked up by its id. */
  deviceReported(deviceId: string): void {
    this.request({ kind: 'reported', deviceId });
  }

  modelsPublished(family: string | null): void {
    this.request({ kind: 'family', family });
  }

  /** A target was created or resumed. */
  targetCreated(targetId: string): void {
    this.request({ kind: 'target', targetId });
  }

  /** Resolves when nothing is waiting or running (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private request(w: Work, queue: Map<string, Work> = this.urgent): void {
    if (this.stopped || !this.config.enabled) return;
    const key = keyOf(w);
    if (queue === this.urgent) this.background.delete(key);
    else if (this.urgent.has(key)) return;
    queue.set(key, w);
    this.running ??= this.drain().finally(() => { this.running = undefined; });
  }

  private next(): [string, Work] | undefined {
    for (const q of [this.urgent, this.background]) {
      const first = q.entries().next();
      if (!first.done) {
        q.delete(first.value[0]);
        return first.value;
      }
    }
    return undefined;
  }

  private async drain(): Promise<void> {
    for (let item = this.next(); item && !this.stopped; item = this.next()) {
      const [key, w] = item;
      const started = performance.now();
      try {
        await this.run(w);
      } catch (err) {
        // Logged and left for the next event or tick: one bad pair must not stop the loop for the others.
        this.log.warn(`autopilot ${key}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const busy = performance.now() - started;
      if (w.kind === 'pair') {
        this.counters.reconciles += 1;
        this.counters.reconcileMs += busy;
      }
      await this.yieldFor(busy);
    }
  }

  /** Gives the control plane back (1/share − 1) × what the last item took, and always at least one turn of the event loop. */
  private async yieldFor(busyMs: number): Promise<void> {
    const ms = Math.min(busyMs * (1 / this.config.maxShare - 1), 10_000);
    this.counters.pausedMs += ms;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.pause = undefined; resolve(); }, ms);
      this.pause = { timer, done: resolve };
    });
  }

  private endPause(): void {
    if (!this.pause) return;
    clearTimeout(this.pause.timer);
    this.pause.done();
    this.pause = undefined;
  }

  private async run(w: Work): Promise<void> {
    const enqueue = (pairs: Pair[], queue: Map<string, Work> = this.urgent) => {
      for (const p of pairs) this.request({ kind: 'pair', ...p }, queue);
    };
    switch (w.kind) {
      case 'pair': {
        await this.autopilot.reconcilePair(w.targetId, w.profileClass);
        return;
      }
      case 'target': return enqueue(await this.autopilot.pairsOfTarget(w.targetId));
      case 'device': return enqueue(await this.autopilot.pairsOfDevice(w));
      case 'reported': return enqueue(await this.autopilot.pairsOfDeviceId(w.deviceId));
      case 'family': return enqueue(await this.autopilot.pairsOfFamily(w.family));
      case 'due': return enqueue(await this.autopilot.pairsDue());
      case 'sweep': {
        this.counters.sweeps += 1;
        return enqueue(await this.autopilot.allPairs(), this.background);
      }
    }
  }
}
