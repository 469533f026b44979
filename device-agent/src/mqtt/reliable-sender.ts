import { PROTOCOL_VERSION, type ProgressMessage, type ReportMessage } from '@edgefleet/contracts';
import { backoffDelay, type BackoffOptions } from '../lib/backoff';
import { describeError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Outbox, OutboxEntry } from '../state/outbox';

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
  private readonly attempts = new Map<string, { n: number; nextAt: number }>();
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly link: OutboxTransport,
    private readonly logger: Logger,
    private readonly retry: Omit<BackoffOptions, 'random'>,
  ) {}

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
    this.attempts.delete(msgId);
    if (await this.outbox.remove(msgId)) this.logger.debug('acknowledged', { msgId, pending: this.outbox.size });
  }

  /** The control plane refused `msgId` for good (the reason is logged by the link): resending cannot help. */
  async refused(msgId: string): Promise<void> {
    this.attempts.delete(msgId);
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
    if (this.timer) clearTimeout(this.timer);
  }

  private send(e: OutboxEntry): void {
    if (this.stopped || !this.outbox.has(e.msg.msgId) || this.held.has(e.msg.msgId)) return;
    const a = this.attempts.get(e.msg.msgId) ?? { n: 0, nextAt: 0 };
    a.nextAt = Date.now() + backoffDelay(a.n, this.retry);
    this.attempts.set(e.msg.msgId, a);
    if (this.link.connected) {
      a.n++;
      const sent = e.kind === 'report' ? this.link.publishReport(e.msg) : this.link.publishProgress(e.msg);
      sent.catch((err: unknown) => this.logger.warn(`${e.kind} not published; resent later`, { msgId: e.msg.msgId, error: describeError(err) }));
    }
    this.schedule();
  }

  /** One timer, at the earliest resend due. */
  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const due = this.outbox.pending().filter((e) => !this.held.has(e.msg.msgId)).map((e) => this.attempts.get(e.msg.msgId)?.nextAt ?? 0);
    if (due.length === 0) return;
    this.timer = setTimeout(() => this.resendDue(), Math.max(0, Math.min(...due) - Date.now()));
    this.timer.unref();
  }

  private resendDue(): void {
    this.timer = undefined;
    const now = Date.now();
    for (const e of this.outbox.pending()) if ((this.attempts.get(e.msg.msgId)?.nextAt ?? 0) <= now) this.send(e);
    this.schedule();
  }
}
