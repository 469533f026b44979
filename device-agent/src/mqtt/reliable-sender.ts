import { PROTOCOL_VERSION, type ProgressMessage, type ReportMessage } from '@edgefleet/contracts';
import type { BackoffOptions } from '../lib/backoff';
import { describeError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Outbox, OutboxEntry } from '../state/outbox';
import { ResendClock } from './resend-clock';

/** What the sender needs of the MQTT link. */
export interface OutboxTransport {
  readonly connected: boolean;
  publishProgress(msg: ProgressMessage): Promise<void>;
  publishReport(msg: ReportMessage): Promise<void>;
}

/**
 * At-least-once delivery of the outbox: a message goes out when it is stored and after every (re)connect, and
 * again with exponential backoff (jitter) until the control plane acknowledges it (`ack`) or refuses it for good
 * (`rejected` naming its msgId). QoS 1 alone is not enough: a PUBACK means the broker has it, not that the control
 * plane committed it.
 */
export class ReliableSender {
  private readonly held = new Set<string>();
  private readonly clock: ResendClock<string>;
  private stopped = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly link: OutboxTransport,
    private readonly logger: Logger,
    retry: Omit<BackoffOptions, 'random'>,
  ) {
    this.clock = new ResendClock(retry, (msgIds) => this.resendDue(msgIds));
  }

  /** Stores the progress durably, then sends it. */
  async progress(p: Omit<ProgressMessage, 'v' | 'msgId'>): Promise<void> {
    this.send(await this.outbox.add('progress', { v: PROTOCOL_VERSION, ...p }));
  }

  /**
   * Stores the report durably (it is on disk when this resolves) but holds it back until `release`: the agent saves
   * the outcome in its state between the two, and only a saved outcome's report may reach the control plane.
   */
  async holdReport(r: ReportMessage): Promise<ReportMessage> {
    const { msgId: _old, ...rest } = r;
    const entry = await this.outbox.add('report', rest);
    this.held.add(entry.msg.msgId);
    return entry.msg as ReportMessage;
  }

  /** Sends a held report (its outcome is saved). */
  release(msgId: string): void {
    this.held.delete(msgId);
    const entry = this.outbox.pending().find((e) => e.msg.msgId === msgId);
    if (entry) this.send(entry);
  }

  /** The control plane stored `msgId`. */
  async acked(msgId: string): Promise<void> {
    this.clock.forget(msgId);
    if (await this.outbox.remove(msgId)) this.logger.debug('acknowledged', { msgId, pending: this.outbox.size });
  }

  /** The control plane refused `msgId` for good (the reason is logged by the link): resending cannot help. */
  async refused(msgId: string): Promise<void> {
    this.clock.forget(msgId);
    if (await this.outbox.remove(msgId)) this.logger.warn('dropping a message the control plane refused', { msgId });
  }

  /** After a (re)connect or when the control plane asks: everything pending goes out now. */
  flush(): void {
    for (const e of this.outbox.pending()) this.send(e);
  }

  get pending(): number {
    return this.outbox.size;
  }

  stop(): void {
    this.stopped = true;
    this.clock.stop();
  }

  private send(e: OutboxEntry): void {
    if (this.stopped || !this.outbox.has(e.msg.msgId) || this.held.has(e.msg.msgId)) return;
    const connected = this.link.connected;
    this.clock.sent(e.msg.msgId, connected);
    if (connected) {
      const sent = e.kind === 'report' ? this.link.publishReport(e.msg) : this.link.publishProgress(e.msg);
      sent.catch((err: unknown) => this.logger.warn(`${e.kind} not published; resent later`, { msgId: e.msg.msgId, error: describeError(err) }));
    }
  }

  /** The clock's due ids, in outbox order; an id no longer pending (coalesced away) is forgotten. */
  private resendDue(msgIds: string[]): void {
    const due = new Set(msgIds);
    for (const e of this.outbox.pending()) {
      if (!due.delete(e.msg.msgId)) continue;
      if (this.held.has(e.msg.msgId)) this.clock.forget(e.msg.msgId);
      else this.send(e);
    }
    for (const gone of due) this.clock.forget(gone);
  }
}
