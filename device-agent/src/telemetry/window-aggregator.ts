import { randomUUID } from 'node:crypto';
import {
  CONFIDENCE_BUCKETS, LATENCY_BUCKETS_MS, MAX_TELEMETRY_CLASSES, latencyBucket, unitBucket, type TelemetryWindow,
} from '@edgefleet/contracts';
import type { InferenceSummary } from '../serving/output-summary';

const zeros = (n: number) => new Array<number>(n).fill(0);

/**
 * Aggregates served inferences into windows. A window holds one model's inferences: a model switch closes the
 * open window early, so every window's class distribution belongs to exactly one model.
 */
export class WindowAggregator {
  private w?: TelemetryWindow;
  private startMs = 0;

  constructor(private readonly now: () => number = Date.now) {}

  record(model: string | undefined, latencyMs: number, s: InferenceSummary, classes: number): TelemetryWindow | undefined {
    const closed = this.ensure(model);
    const w = this.w!;
    w.n++;
    w.latSum += latencyMs;
    w.pSum += s.topProbability;
    w.lat[latencyBucket(latencyMs)]!++;
    const c = Math.min(s.topClass, MAX_TELEMETRY_CLASSES - 1);
    while (w.cls.length <= c) w.cls.push(0);
    w.cls[c]!++;
    w.conf[unitBucket(s.topProbability)]!++;
    w.margin[unitBucket(s.margin)]!++;
    w.ent[unitBucket(classes > 1 ? s.entropy / Math.log(classes) : 0)]!++;
    return closed;
  }

  error(model: string | undefined): TelemetryWindow | undefined {
    const closed = this.ensure(model);
    this.w!.err++;
    return closed;
  }

  /** Closes the open window (undefined when nothing happened in it). */
  close(): TelemetryWindow | undefined {
    const w = this.w;
    this.w = undefined;
    if (!w || (w.n === 0 && w.err === 0)) return undefined;
    w.end = new Date(Math.max(this.now(), this.startMs + 1)).toISOString();
    w.latSum = Math.round(w.latSum * 1000) / 1000;
    w.pSum = Math.round(w.pSum * 1e6) / 1e6;
    return w;
  }

  private ensure(model: string | undefined): TelemetryWindow | undefined {
    let closed: TelemetryWindow | undefined;
    if (this.w && this.w.model !== model) closed = this.close();
    if (!this.w) {
      this.startMs = this.now();
      this.w = {
        id: randomUUID(), start: new Date(this.startMs).toISOString(), end: '', ...(model && { model }), n: 0, err: 0, latSum: 0, pSum: 0,
        lat: zeros(LATENCY_BUCKETS_MS.length + 1), cls: [], conf: zeros(CONFIDENCE_BUCKETS), margin: zeros(CONFIDENCE_BUCKETS), ent: zeros(CONFIDENCE_BUCKETS),
      };
    }
    return closed;
  }
}
