import { join } from 'node:path';
import {
  DEFAULT_TELEMETRY_WINDOW_S, MAX_WINDOWS_PER_BATCH, PROTOCOL_VERSION, type TelemetryMessage, type TelemetryWindow,
} from '@edgefleet/contracts';
import { describeError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { InferenceObserver, ServedModel } from '../serving/model-server';
import type { InferenceSummary } from '../serving/output-summary';
import { DiskQueue } from './disk-queue';
import { HeartbeatMeter } from './heartbeat';
import { WindowAggregator } from './window-aggregator';

export interface TelemetryOptions {
  /** Window length, seconds (default DEFAULT_TELEMETRY_WINDOW_S). */
  windowS?: number;
  /** Windows kept on disk while the broker is unreachable; the oldest are dropped (and counted) beyond it. */
  queueMax?: number;
}

export const DEFAULT_TELEMETRY_QUEUE_MAX = 10_000;

/** How the reporter publishes: QoS 1, resolves on PUBACK, rejects when offline or refused. */
export interface TelemetryLink {
  readonly connected: boolean;
  publishTelemetry(msg: TelemetryMessage): Promise<void>;
}

/**
 * Windows of served inferences → on-disk queue → MQTT. Every window closes into the queue first; `flush`
 * sends the queue oldest first in batches of MAX_WINDOWS_PER_BATCH, removing a batch only after the broker
 * acknowledged it. A heartbeat rides on the first batch of every tick (alone when there is no window).
 */
export class TelemetryReporter implements InferenceObserver {
  private readonly agg: WindowAggregator;
  private readonly queue: DiskQueue<TelemetryWindow>;
  private readonly meter: HeartbeatMeter;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private pending: Promise<unknown> = Promise.resolve();
  readonly windowMs: number;

  constructor(
    stateDir: string,
    agentVersion: string,
    private readonly link: TelemetryLink,
    private readonly active: () => string | undefined,
    private readonly logger: Logger,
    opts: TelemetryOptions = {},
  ) {
    this.windowMs = (opts.windowS ?? DEFAULT_TELEMETRY_WINDOW_S) * 1000;
    this.agg = new WindowAggregator();
    this.queue = new DiskQueue(join(stateDir, 'telemetry-queue'), opts.queueMax ?? DEFAULT_TELEMETRY_QUEUE_MAX);
    this.meter = new HeartbeatMeter(stateDir, agentVersion);
  }

  async start(): Promise<void> {
    await this.queue.open();
    this.timer = setInterval(() => void this.tick(), this.windowMs);
    this.timer.unref();
  }

  /** Windows waiting on disk. */
  get queued(): number {
    return this.queue.size;
  }

  onInference(model: ServedModel, latencyMs: number, summary: InferenceSummary, classes: number): void {
    this.enqueue(this.agg.record(model.sha256, latencyMs, summary, classes));
  }

  onError(model: ServedModel | undefined): void {
    this.enqueue(this.agg.error(model?.sha256));
  }

  /** Closes the current window into the queue and sends what is queued (with a heartbeat). */
  async tick(): Promise<void> {
    this.enqueue(this.agg.close());
    await this.pending;
    await this.flush(true);
  }

  /** Sends the queue while connected; a failure leaves the rest for the next tick or reconnect. */
  flush(heartbeat = false): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.drain(heartbeat).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.enqueue(this.agg.close());
    await this.pending;
    await this.flushing;
  }

  private enqueue(w: TelemetryWindow | undefined): void {
    if (!w) return;
    this.pending = this.pending.then(() => this.queue.push(w)).catch((err: unknown) => this.logger.warn('telemetry window not queued', { error: describeError(err) }));
  }

  private async drain(heartbeat: boolean): Promise<void> {
    let withHeartbeat = heartbeat;
    while (this.link.connected) {
      const { records, seqs } = await this.queue.peek(MAX_WINDOWS_PER_BATCH);
      if (records.length === 0 && !withHeartbeat) return;
      const dropped = this.queue.dropped;
      const msg: TelemetryMessage = {
        v: PROTOCOL_VERSION,
        windows: records,
        ...(withHeartbeat && { heartbeat: await this.meter.read(this.active()) }),
        ...(dropped > 0 && { dropped }),
      };
      try {
        await this.link.publishTelemetry(msg);
      } catch (err) {
        this.logger.debug('telemetry not sent; kept on disk', { error: describeError(err), queued: this.queue.size });
        return;
      }
      await this.queue.remove(seqs);
      if (dropped > 0) await this.queue.ackDropped(dropped);
      withHeartbeat = false;
      if (records.length === 0) return;
    }
  }
}
