import { Injectable, Logger } from '@nestjs/common';
import { parseDeviceTopic, parseMessage, type DeviceTopicKind } from '@edgefleet/contracts';
import type { MqttContext } from '@nestjs/microservices';
import { isDomainError, AppConfig } from '@edgefleet/platform';
import { DeviceCredentialService } from '../identity/device-credential.service';
import { MqttPublisher } from './mqtt-publisher.service';

type Ctor<T> = new () => T;

/**
 * The one door every device → control plane message goes through: find the device id in the topic, validate
 * the raw payload against the contract class, run the handler, and turn any failure into a log line plus a
 * RejectedMessage to the device. It never throws, so a bad message cannot take the transport down, and a
 * handler runs only on a fully valid message (nothing is half-written from half a payload).
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
  ) {}

  async run<T extends object>(
    ctx: MqttContext,
    cls: Ctor<T>,
    handle: (deviceId: string, msg: T) => Promise<void>,
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
    const payload = payloadOf(ctx);
    if (payload.length === 0 && where.kind === 'status') return; // a retained status being cleared
    const parsed = parseMessage(cls, payload);
    if (!parsed.ok) {
      await this.reject(where.deviceId, where.kind, topic, `invalid ${cls.name}: ${parsed.errors.join('; ')}`);
      return;
    }
    try {
      await handle(where.deviceId, parsed.value);
    } catch (err) {
      if (isDomainError(err)) {
        await this.reject(where.deviceId, where.kind, topic, err.message);
      } else {
        // Not the device's fault (database down, bug): log it fully, tell the device only that it failed.
        this.logger.error(`handling ${topic} failed: ${(err as Error)?.stack ?? String(err)}`);
        await this.publisher.publishRejected(where.deviceId, topic, 'internal error while handling the message');
      }
    }
  }

  private async reject(deviceId: string, kind: DeviceTopicKind, topic: string, reason: string): Promise<void> {
    this.logger.warn(`rejected ${kind} from ${deviceId}: ${reason}`);
    await this.publisher.publishRejected(deviceId, topic, reason);
  }
}

function payloadOf(ctx: MqttContext): Buffer {
  const payload: unknown = ctx.getPacket()['payload'];
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return Buffer.alloc(0);
}
