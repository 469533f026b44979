/**
 * The control plane's side of the protocol in ~150 lines, for the agent's integration tests: a plain
 * mqtt.js client that serves blocks from memory, publishes (signed) desired states and records what the
 * device sent. Not exported from index.ts.
 */
import { createHash } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import {
  BlockRequestMessage, HelloMessage, PROTOCOL_VERSION, ProgressMessage, ReportMessage, StatusMessage, parseMessage, signDesiredState, topics,
  type DesiredStateMessage,
} from '@edgefleet/contracts';

export const sha256Of = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export class MiniControlPlane {
  readonly objects = new Map<string, Buffer>();
  readonly requests: Array<{ sha256: string; index: number; count: number }> = [];
  readonly reports: ReportMessage[] = [];
  readonly progress: ProgressMessage[] = [];
  readonly hellos: HelloMessage[] = [];
  readonly statuses: StatusMessage[] = [];
  /** Invalid messages from the agent (tests assert this stays empty). */
  readonly protocolErrors: string[] = [];
  /** Serve at most this many more blocks, then stay silent (a stalled or dying link). */
  serveBudget = Infinity;
  servedBlocks = 0;
  /** Blocks (sha256:index) whose bytes are flipped when served. */
  readonly corrupt = new Set<string>();
  blockSize = 64 * 1024;
  /** Acknowledge progress/reports with a msgId (as the control plane does after its commit); false = a control plane that is down. */
  ackMessages = true;
  /** Messages received again with a msgId seen before (resends); not added to reports/progress a second time. */
  resends = 0;
  /** Messages with a msgId that arrived while ackMessages was false (neither stored nor acked). */
  unstored = 0;
  private readonly seenMsgIds = new Set<string>();
  private waiters: Array<() => void> = [];

  private constructor(private readonly client: MqttClient, readonly deviceId: string) {}

  static async connect(brokerUrl: string, deviceId: string): Promise<MiniControlPlane> {
    const client = await mqtt.connectAsync(brokerUrl, { clientId: `cp-test-${deviceId}`, clean: true, reconnectPeriod: 0 });
    // As the agent does: no Nagle, or small packets wait ~40 ms for delayed ACKs.
    (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    const cp = new MiniControlPlane(client, deviceId);
    client.on('message', (topic, payload) => cp.onMessage(topic, payload));
    await client.subscribeAsync(
      [topics.hello(deviceId), topics.status(deviceId), topics.blockRequest(deviceId), topics.progress(deviceId), topics.report(deviceId)],
      { qos: 1 },
    );
    return cp;
  }

  add(bytes: Buffer): { sha256: string; size: number } {
    const sha256 = sha256Of(bytes);
    this.objects.set(sha256, bytes);
    return { sha256, size: bytes.length };
  }

  requestedIndices(sha256: string): number[] {
    return this.requests.filter((r) => r.sha256 === sha256).flatMap((r) => Array.from({ length: r.count }, (_, i) => r.index + i));
  }

  private onMessage(topic: string, payload: Buffer): void {
    const id = this.deviceId;
    if (topic === topics.blockRequest(id)) {
      const r = parseMessage(BlockRequestMessage, payload);
      if (!r.ok) return;
      const { sha256, index, count = 1 } = r.value;
      this.requests.push({ sha256, index, count });
      const obj = this.objects.get(sha256);
      if (!obj) {
        this.publish(topics.rejected(id), JSON.stringify({ v: PROTOCOL_VERSION, topic, reason: `unknown object ${sha256}` }));
        return;
      }
      for (let i = index; i < index + count && i * this.blockSize < obj.length; i++) {
        if (this.servedBlocks >= this.serveBudget) break;
        this.servedBlocks++;
        let block = obj.subarray(i * this.blockSize, (i + 1) * this.blockSize);
        if (this.corrupt.has(`${sha256}:${i}`)) {
          block = Buffer.from(block);
          block[0] = block[0]! ^ 0xff;
        }
        this.publish(topics.block(id, sha256, i), block);
      }
    } else if (topic === topics.report(id)) {
      const r = parseMessage(ReportMessage, payload);
      if (!r.ok) return void this.protocolErrors.push(`agent sent an invalid report: ${r.errors.join('; ')}`);
      if (this.store(r.value.msgId)) this.reports.push(r.value);
    } else if (topic === topics.progress(id)) {
      const r = parseMessage(ProgressMessage, payload);
      if (!r.ok) return void this.protocolErrors.push(`agent sent invalid progress: ${r.errors.join('; ')}`);
      if (this.store(r.value.msgId)) this.progress.push(r.value);
    } else if (topic === topics.hello(id)) {
      const r = parseMessage(HelloMessage, payload);
      if (!r.ok) return void this.protocolErrors.push(`agent sent an invalid hello: ${r.errors.join('; ')}`);
      this.hellos.push(r.value);
    } else if (topic === topics.status(id) && payload.length > 0) {
      const r = parseMessage(StatusMessage, payload);
      if (!r.ok) return void this.protocolErrors.push(`agent sent an invalid status: ${r.errors.join('; ')}`);
      this.statuses.push(r.value);
    }
    for (const w of this.waiters.splice(0)) w();
  }

  /** Idempotent by msgId, acked when ackMessages; true when the message is new (to be recorded). */
  private store(msgId: string | undefined): boolean {
    if (msgId === undefined) return true;
    if (!this.ackMessages) {
      this.unstored++;
      return false;
    }
    const fresh = !this.seenMsgIds.has(msgId);
    if (fresh) this.seenMsgIds.add(msgId);
    else this.resends++;
    this.publish(topics.ack(this.deviceId), JSON.stringify({ v: PROTOCOL_VERSION, msgId }));
    return fresh;
  }

  private publish(topic: string, payload: string | Buffer, retain = false): void {
    this.client.publish(topic, payload, { qos: 1, retain }, (err) => {
      if (err && !this.client.disconnecting) this.protocolErrors.push(`publish ${topic}: ${err.message}`);
    });
  }

  /** Next seq this mini control plane signs with (per device, as the real one keeps it in its database). */
  seq = 1;

  /**
   * A desired state for `model` (and optional eval set) already in `objects`, signed when a signer is given. Fields
   * an attack test forges (deviceId, seq, validity) can be set; the defaults are what the real control plane sends.
   */
  desired(opts: {
    deploymentId: string; model: Buffer; evalSet?: { bytes: Buffer; samples: number }; gates?: DesiredStateMessage['gates'];
    signer?: { privateKeyPem: string; keyId: string }; deviceId?: string; seq?: number; validForMs?: number; issuedAt?: Date;
  }): DesiredStateMessage {
    const m = this.add(opts.model);
    const e = opts.evalSet && this.add(opts.evalSet.bytes);
    const issuedAt = opts.issuedAt ?? new Date();
    const msg: Omit<DesiredStateMessage, 'signature'> = {
      v: PROTOCOL_VERSION,
      deviceId: opts.deviceId ?? this.deviceId,
      seq: opts.seq ?? this.seq++,
      deploymentId: opts.deploymentId,
      issuedAt: issuedAt.toISOString(),
      expiresAt: new Date(issuedAt.getTime() + (opts.validForMs ?? 3_600_000)).toISOString(),
      keyId: opts.signer?.keyId ?? '0000000000000000',
      artifact: {
        id: `art-${m.sha256.slice(0, 8)}`, name: 'test-model', version: '1', precision: 'fp32', sha256: m.sha256, size: m.size, blockSize: this.blockSize,
        ...(e && { evalSet: { sha256: e.sha256, size: e.size, samples: opts.evalSet!.samples } }),
      },
      gates: opts.gates ?? {},
    };
    return opts.signer ? { ...msg, signature: signDesiredState(msg, opts.signer.privateKeyPem) } : msg;
  }

  /** Publishes (retained) on this device's desired topic — or on `deviceId`'s, to replay a message elsewhere. */
  async publishDesired(msg: DesiredStateMessage | string, deviceId = this.deviceId): Promise<void> {
    await this.client.publishAsync(topics.desired(deviceId), typeof msg === 'string' ? msg : JSON.stringify(msg), { qos: 1, retain: true });
  }

  /** Resolves when `pred` holds (checked after every message from the device). */
  async until(pred: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Removes the retained messages this test left on the broker, then disconnects. */
  async close(): Promise<void> {
    for (const t of [topics.desired(this.deviceId), topics.status(this.deviceId)]) await this.client.publishAsync(t, '', { qos: 1, retain: true });
    await this.client.endAsync();
  }
}
