import { join } from 'node:path';
import {
  DEFAULT_TELEMETRY_WINDOW_S, MAX_WINDOWS_PER_BATCH, PROTOCOL_VERSION, type TelemetryMessage, type TelemetryWindow,
} from '@edgefleet/contracts';
import { describeError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { InferenceObserver, ServedModel } from '../serving/model-server';
import type { InferenceSummary } from '../serving/output-summary';
import { ResendClock } from '../mqtt/resend-clock';
import { newMsgId } from '../state/outbox';
import { DiskQueue } from './disk-queue';
import { HeartbeatMeter } from './heartbeat';
import { WindowAggregator } from './window-aggregator';

export interface TelemetryOptions {
  /** Window length, seconds (default DEFAULT_TELEMETRY_WINDOW_S). */
  windowS?: number;
  /** Windows kept on disk until acknowledged; the oldest are dropped (and counted) beyond it. */
  queueMax?: number;
  /** Resend of a message the control plane has not acknowledged: backoff with jitter (default DEFAULT_TELEMETRY_RESEND). */
  resend?: { baseMs: number; maxMs: number };
}

export const DEFAULT_TELEMETRY_QUEUE_MAX = 10_000;
/**
 * First resend of an unacknowledged telemetry message after 10–20 s, doubling up to 1–2 min. Later than the
 * outbox's 3 s: a telemetry commit waits for its batch, and under load the ingest lags by seconds (docs/telemetry.md,
 * "Soak"); an early resend would only add duplicates to that load. Telemetry is not urgent.
 */
export const DEFAULT_TELEMETRY_RESEND = { baseMs: 20_000, maxMs: 120_000 };
/** Telemetry messages sent and not yet acknowledged, at most: 8 × 64 windows; the rest waits on disk. */
export const MAX_UNACKED_TELEMETRY = 8;

/** How the reporter publishes: QoS 1, resolves on PUBACK, rejects when offline or refused. */
export interface TelemetryLink {
  readonly connected: boolean;
  publishTelemetry(msg: TelemetryMessage): Promise<void>;
}

/** A sent message waiting for its ack: what it carried (its windows' queue seqs). */
interface Unacked {
  msg: TelemetryMessage & { msgId: string };
  seqs: number[];
}

/**
 * Windows of served inferences → on-disk queue → MQTT → acknowledged. Every window closes into the queue first;
 * `flush` sends the queue oldest first in messages of at most MAX_WINDOWS_PER_BATCH windows, each with a `msgId`
 * (up to MAX_UNACKED_TELEMETRY unacknowledged at once). A message's windows are deleted only when the control
 * plane acknowledges it (`acked`: committed) or refuses it for good (`refused`); until then it is resent, same id and
 * windows, after every reconnect and with exponential backoff and jitter (ResendClock, as the outbox's). After a
 * restart the queue on disk is sent anew, oldest first. A heartbeat rides on the first message of every tick (alone,
 * without an id, when there is no window).
 */
export class TelemetryReporter implements InferenceObserver {
  private readonly agg: WindowAggregator;
  private readonly queue: DiskQueue<TelemetryWindow>;
  private readonly meter: HeartbeatMeter;
  private readonly clock: ResendClock<string>;
  /** Sent, not acknowledged, oldest first (Map order). */
  private readonly unacked = new Map<string, Unacked>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private pending: Promise<unknown> = Promise.resolve();
  private stopped = false;
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
    this.clock = new ResendClock(opts.resend ?? DEFAULT_TELEMETRY_RESEND, (msgIds) => this.resendDue(msgIds));
    this.agg = new WindowAggregator();
    this.queue = new DiskQueue(join(stateDir, 'telemetry-queue'), opts.queueMax ?? DEFAULT_TELEMETRY_QUEUE_MAX);
    this.meter = new HeartbeatMeter(stateDir, agentVersion);
  }

  async start(): Promise<void> {
    await this.queue.open();
    this.timer = setInterval(() => void this.tick(), this.windowMs);
    this.timer.unref();
  }

  /** Windows waiting on disk (sent or not, until acknowledged). */
  get queued(): number {
    return this.queue.size;
  }

  /** Messages sent and not acknowledged yet. */
  get unacknowledged(): number {
    return this.unacked.size;
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

  /**
   * Sends the queue while connected (a tick, an ack), oldest first; with `resend` (after a reconnect) every
   * unacknowledged message goes out again first. A failure leaves the rest for later.
   */
  flush(heartbeat = false, resend = false): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.drain(heartbeat, resend).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** The control plane committed the windows of `msgId` (a msgId that is not telemetry's is ignored). */
  async acked(msgId: string): Promise<void> {
    const u = this.unacked.get(msgId);
    if (!u) return;
    await this.settle(u);
    this.logger.debug('telemetry acknowledged', { msgId, windows: u.seqs.length, queued: this.queue.size });
    this.sendWaiting();
  }

  /** The control plane refused `msgId` for good (the link logged the reason): resending cannot help, its windows go. */
  async refused(msgId: string): Promise<void> {
    const u = this.unacked.get(msgId);
    if (!u) return;
    await this.settle(u);
    this.logger.warn('dropping telemetry windows the control plane refused', { msgId, windows: u.seqs.length });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.clock.stop();
    this.enqueue(this.agg.close());
    await this.pending;
    await this.flushing;
  }

  /** Room for more messages in flight: send what waits on disk (not the resends, which have their clock). */
  private sendWaiting(): void {
    if (!this.flushing && !this.stopped) this.flushing = this.drain(false, false).finally(() => (this.flushing = undefined));
  }

  private async settle(u: Unacked): Promise<void> {
    this.unacked.delete(u.msg.msgId);
    this.clock.forget(u.msg.msgId);
    await this.queue.remove(u.seqs);
    if (u.msg.dropped) await this.queue.ackDropped(u.msg.dropped);
  }

  private enqueue(w: TelemetryWindow | undefined): void {
    if (!w) return;
    this.pending = this.pending.then(() => this.queue.push(w)).catch((err: unknown) => this.logger.warn('telemetry window not queued', { error: describeError(err) }));
  }

  private async drain(heartbeat: boolean, resendAll: boolean): Promise<void> {
    if (resendAll) for (const u of [...this.unacked.values()]) if (!(await this.publish(u))) return;
    let withHeartbeat = heartbeat;
    while (this.link.connected && !this.stopped && this.unacked.size < MAX_UNACKED_TELEMETRY) {
      const inFlight = new Set([...this.unacked.values()].flatMap((u) => u.seqs));
      const { records, seqs } = await this.queue.peek(MAX_WINDOWS_PER_BATCH, inFlight);
      if (records.length === 0) break;
      // The dropped count rides on one message at a time, and is subtracted when that one is acknowledged.
      const dropped = [...this.unacked.values()].some((u) => u.msg.dropped) ? 0 : this.queue.dropped;
      const msg: TelemetryMessage & { msgId: string } = {
        v: PROTOCOL_VERSION,
        msgId: newMsgId(),
        windows: records,
        ...(withHeartbeat && { heartbeat: await this.meter.read(this.active()) }),
        ...(dropped > 0 && { dropped }),
      };
      const u: Unacked = { msg, seqs };
      this.unacked.set(msg.msgId, u); // before the publish: the ack may come before the PUBACK resolves
      withHeartbeat = false;
      if (!(await this.publish(u))) return;
    }
    // Nothing new to carry it (no window, or MAX_UNACKED_TELEMETRY waiting): the heartbeat goes alone, without an id.
    if (withHeartbeat && this.link.connected && !this.stopped) await this.publishHeartbeat();
  }

  private async publishHeartbeat(): Promise<void> {
    try {
      await this.link.publishTelemetry({ v: PROTOCOL_VERSION, windows: [], heartbeat: await this.meter.read(this.active()) });
    } catch (err) {
      this.logger.debug('heartbeat not sent', { error: describeError(err) });
    }
  }

  /**
   * One (re)send of `u` (its next one is due after the backoff, set before the first await); false when it did not
   * reach the broker.
   */
  private async publish(u: Unacked): Promise<boolean> {
    if (this.stopped || !this.unacked.has(u.msg.msgId)) return true;
    // Windows the bounded queue dropped meanwhile (oldest first, counted) are not sent again.
    if (u.seqs.some((s) => !this.queue.has(s))) {
      const keep = u.seqs.map((s, i) => [s, u.msg.windows[i]!] as const).filter(([s]) => this.queue.has(s));
      u.seqs = keep.map(([s]) => s);
      u.msg = { ...u.msg, windows: keep.map(([, w]) => w) };
      if (keep.length === 0) {
        this.unacked.delete(u.msg.msgId);
        this.clock.forget(u.msg.msgId);
        return true;
      }
    }
    const connected = this.link.connected;
    this.clock.sent(u.msg.msgId, connected);
    if (!connected) return false;
    try {
      await this.link.publishTelemetry(u.msg);
      return true;
    } catch (err) {
      this.logger.debug('telemetry not sent; kept on disk', { error: describeError(err), queued: this.queue.size });
      return false;
    }
  }

  /** The clock's due messages, oldest first: each publish is started now (the client writes them in this order). */
  private resendDue(msgIds: string[]): void {
    const before = this.unacked.size;
    for (const id of msgIds) {
      const u = this.unacked.get(id);
      if (u) void this.publish(u);
      else this.clock.forget(id);
    }
    // A message whose windows the bound dropped meanwhile is gone (publish forgets it at once): its room is free.
    if (this.unacked.size < before) this.sendWaiting();
  }
}
