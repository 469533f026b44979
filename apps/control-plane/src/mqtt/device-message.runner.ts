import { Injectable, Logger, Optional } from '@nestjs/common';
import { MSG_ID_PATTERN, parseDeviceTopic, parseJsonBounded, parseMessage, type DeviceTopicKind } from '@edgefleet/contracts';
import type { MqttContext } from '@nestjs/microservices';
import { backoffDelay, sleep } from '@edgefleet/toolkit';
import { isDomainError, AppConfig, isTransientDatabaseError } from '@edgefleet/platform';
import { DeviceCredentialService } from '../identity/device-credential.service';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { MqttPublisher } from './mqtt-publisher.service';

type Ctor<T> = new () => T;

/**
 * What a handler returns when it could not store the message but the device should simply resend it (no ack, no
 * `rejected`): the telemetry ingest when the windows of a message were dropped from its memory before a commit.
 */
export const LEFT_UNANSWERED = 'unanswered' as const;

/**
 * The one door every device → control plane message goes through: find the device id in the topic, validate
 * the raw payload against the contract class, run the handler, and turn any failure into a log line plus a
 * RejectedMessage to the device. It never throws, so a bad message cannot take the transport down, and a
 * handler runs only on a fully valid message (nothing is half-written from half a payload).
 *
 * At-least-once: a message with a `msgId` is acknowledged on the device's `ack` topic only after its handler's
 * transaction committed (handlers store the id in it, so a resend is acked again without a second effect). A
 * transient database error is retried with backoff for DEVICE_MESSAGE_RETRY_MS, then the message is left
 * unanswered — the device resends it. Only a message refused for good (a domain error) is answered `rejected`
 * with its msgId, which makes the device drop it; so is a message the contract refuses, when its JSON names a sane
 * msgId (resending the same bytes cannot help). A handler may also return LEFT_UNANSWERED: no ack, the device resends.
 */
@Injectable()
export class DeviceMessageRunner {
  private readonly logger = new Logger('DeviceMessages');

  /** Messages dropped because their topic's device is not enrolled (defence in depth; see docs/security.md). */
  droppedUnenrolled = 0;

  constructor(
    private readonly publisher: MqttPublisher,
    private readonly credentials: DeviceCredentialService,
    private readonly config: AppConfig,
    @Optional() private readonly metrics?: FleetMetrics,
  ) {}

  async run<T extends object>(
    ctx: MqttContext,
    cls: Ctor<T>,
    handle: (deviceId: string, msg: T) => Promise<void | typeof LEFT_UNANSWERED>,
  ): Promise<void> {
    const topic = ctx.getTopic();
    const where = parseDeviceTopic(topic);
    if (!where) {
      // No device id to answer to (e.g. a device id with characters the protocol forbids).
      this.logger.warn(`ignored message on ${topic}: not a device topic of protocol v1`);
      return;
    }
    // Defence in depth: the broker lets a device publish only on its own topics (its ACL), so a message on the
    // topic of a device that is not enrolled (never, or revoked since) came past a misconfigured broker or from
    // a session that outlived its revocation. Dropped without an answer: nobody legitimate is listening.
    if (!this.config.mqttAllowAnonymous) {
      let enrolled: unknown;
      try {
        enrolled = await this.credentials.enrolled(where.deviceId);
      } catch (err) {
        this.logger.error(`could not check the enrollment of ${where.deviceId}, message on ${topic} dropped: ${(err as Error).message}`);
        return;
      }
      if (!enrolled) {
        this.droppedUnenrolled++;
        this.logger.warn(`dropped ${where.kind} on the topic of ${where.deviceId}: no such enrolled device`);
        return;
      }
    }
    this.metrics?.mqttReceived.inc({ kind: where.kind });
    const payload = payloadOf(ctx);
    if (payload.length === 0 && where.kind === 'status') return; // a retained status being cleared
    const parsed = parseMessage(cls, payload);
    if (!parsed.ok) {
      await this.reject(where.deviceId, where.kind, topic, `invalid ${cls.name}: ${parsed.errors.join('; ')}`, rawMsgIdOf(payload));
      return;
    }
    const msgId = msgIdOf(parsed.value);
    const deadline = Date.now() + this.config.deviceMessageRetryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        if ((await handle(where.deviceId, parsed.value)) === LEFT_UNANSWERED) {
          this.leftUnanswered++;
          return;
        }
        break;
      } catch (err) {
        if (isDomainError(err)) {
          await this.reject(where.deviceId, where.kind, topic, err.message, msgId);
          return;
        }
        if (isTransientDatabaseError(err)) {
          const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 5000 });
          if (Date.now() + delay < deadline) {
            this.transientRetries++;
            this.logger.warn(`handling ${topic} hit a transient database error, retrying in ${delay} ms: ${firstLine(err)}`);
            await sleep(delay);
            continue;
          }
          this.leftUnanswered++;
          this.logger.error(`handling ${topic} still fails after ${this.config.deviceMessageRetryMs} ms (${firstLine(err)}); left unacknowledged, the device resends it`);
          return;
        }
        // Not the device's fault and not known to pass (a bug): log it fully, tell the device only that it failed.
        // No msgId in the answer: the device keeps the message and resends it later.
        this.logger.error(`handling ${topic} failed: ${(err as Error)?.stack ?? String(err)}`);
        await this.publisher.publishRejected(where.deviceId, topic, 'internal error while handling the message');
        return;
      }
    }
    if (msgId !== undefined) await this.publisher.publishAck(where.deviceId, msgId);
  }

  /** Transient database errors retried, and messages left unanswered after retrying (for tests and metrics). */
  transientRetries = 0;
  leftUnanswered = 0;

  private async reject(deviceId: string, kind: DeviceTopicKind, topic: string, reason: string, msgId?: string): Promise<void> {
    this.metrics?.mqttRejected.inc({ kind });
    this.logger.warn(`rejected ${kind} from ${deviceId}: ${reason}`);
    await this.publisher.publishRejected(deviceId, topic, reason, msgId);
  }
}

/** The top-level `msgId` of a payload the contract refused, when it is one (parsed bounded, never from a nested field). */
function rawMsgIdOf(payload: Buffer): string | undefined {
  const parsed = parseJsonBounded(payload);
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) return undefined;
  const id = (parsed.value as { msgId?: unknown }).msgId;
  return typeof id === 'string' && MSG_ID_PATTERN.test(id) ? id : undefined;
}

function msgIdOf(msg: object): string | undefined {
  const id = (msg as { msgId?: unknown }).msgId;
  return typeof id === 'string' ? id : undefined;
}

const firstLine = (err: unknown): string => String((err as Error)?.message ?? err).split('\n').find((l) => l.trim() !== '') ?? '';

function payloadOf(ctx: MqttContext): Buffer {
  const payload: unknown = ctx.getPacket()['payload'];
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return Buffer.alloc(0);
}
