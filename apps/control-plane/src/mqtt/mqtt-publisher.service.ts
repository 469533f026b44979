import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AckMessage, PROTOCOL_VERSION, RejectedMessage, topics } from '@edgefleet/contracts';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { SERVICE_CLIENT_ID_PREFIX } from './broker-policy';
import { MqttBrokerService } from './mqtt-broker.service';
import { MqttConnectError, MqttPublishError } from './mqtt.errors';

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
  /**
   * Bulk data (model blocks): sent over a connection of its own. One MQTT connection is one ordered stream — in
   * the TCP socket and in the broker, which handles a connection's packets in order — so a desired state or an ack
   * behind megabytes of blocks waited for all of them: a fleet's desired states went out 32 per block-stream drain,
   * and acks late by more than the agents' resend delay (3 s) brought every message twice.
   */
  bulk?: boolean;
}

type Lane = 'control' | 'bulk';

/**
 * The control plane's outbound MQTT connection (desired state, blocks, rejections). A plain MQTT.js client
 * rather than Nest's ClientMqtt: ClientMqtt wraps every payload in its {pattern,data} JSON envelope, while the
 * protocol needs raw JSON, raw binary blocks and the retain flag, and we need the PUBACK of each QoS 1
 * publish to bound the memory the block server holds.
 */
@Injectable()
export class MqttPublisher implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('MqttPublisher');
  private readonly connecting = new Map<Lane, Promise<MqttClient>>();
  private closed = false;

  constructor(private readonly broker: MqttBrokerService) {}

  async onModuleInit(): Promise<void> {
    await this.broker.start();
    if (!this.broker.embedded) await Promise.all([this.client('control'), this.client('bulk')]);
  }

  /**
   * Resolves on PUBACK for QoS 1 (on hand-over to the socket for QoS 0). Into the embedded broker, in process
   * (MqttBrokerService.publishInProcess): it shares this process' event loop, and every message through a loopback
   * client cost an encode, a parse and a copy on the same thread.
   */
  async publish(topic: string, payload: Buffer | string, opts: PublishOptions): Promise<void> {
    try {
      if (this.closed) throw new Error('the control plane is shutting down');
      if (this.broker.embedded) {
        await this.broker.start();
        return await this.broker.publishInProcess(topic, payload, { qos: opts.qos, retain: opts.retain ?? false });
      }
      const client = await this.client(opts.bulk ? 'bulk' : 'control');
      await client.publishAsync(topic, payload, { qos: opts.qos, retain: opts.retain ?? false });
    } catch (err) {
      throw new MqttPublishError(topic, err as Error);
    }
  }

  /**
   * Subscribes the outbound connection to `filter` (QoS 1) and calls `onMessage` for what arrives on it; used
   * for request/response APIs of the broker itself (Mosquitto's $CONTROL).
   */
  async subscribe(filter: string, onMessage: (topic: string, payload: Buffer) => void): Promise<void> {
    const client = await this.client('control');
    client.on('message', (topic, payload) => {
      if (mqttTopicMatches(filter, topic)) onMessage(topic, payload);
    });
    const granted = await client.subscribeAsync(filter, { qos: 1 });
    if (granted.some((g) => g.qos === 128)) throw new MqttPublishError(filter, new Error('the broker refused the subscription'));
  }

  /**
   * Tells a device why its message on `topic` was refused. Best effort (QoS 0): a failure here is logged, never
   * thrown, because the caller is already handling a bad message and must keep going.
   */
  async publishRejected(deviceId: string, topic: string, reason: string, msgId?: string): Promise<void> {
    const msg: RejectedMessage = { v: PROTOCOL_VERSION, topic, reason: reason.slice(0, 4000), ...(msgId !== undefined && { msgId }) };
    try {
      await this.publish(topics.rejected(deviceId), JSON.stringify(msg), { qos: 0 });
    } catch (err) {
      this.logger.warn(`could not publish rejection for ${topic}: ${(err as Error).message}`);
    }
  }

  /**
   * Tells a device its message `msgId` is stored (after the commit). QoS 1; a failure is logged, not thrown: the
   * device resends the message and gets the ack then (the resend is recognised, no second effect).
   */
  async publishAck(deviceId: string, msgId: string): Promise<void> {
    const msg: AckMessage = { v: PROTOCOL_VERSION, msgId };
    try {
      await this.publish(topics.ack(deviceId), JSON.stringify(msg), { qos: 1 });
    } catch (err) {
      this.logger.warn(`could not acknowledge ${msgId} to ${deviceId}: ${(err as Error).message}`);
    }
  }

  private client(lane: Lane): Promise<MqttClient> {
    if (this.closed) return Promise.reject(new Error('the control plane is shutting down'));
    let c = this.connecting.get(lane);
    if (!c) this.connecting.set(lane, (c = this.connect(lane)));
    return c;
  }

  private async connect(lane: Lane): Promise<MqttClient> {
    await this.broker.start();
    const url = this.broker.url;
    try {
      // allowRetries=false: an unreachable broker at start is an error to report, not to wait out.
      // Afterwards MQTT.js reconnects on its own (reconnectPeriod) and re-sends unacknowledged QoS 1 packets.
      const client = await mqtt.connectAsync(
        url,
        { ...this.broker.serviceLogin(), clientId: `${SERVICE_CLIENT_ID_PREFIX}${lane === 'bulk' ? 'blk' : 'out'}-${randomUUID().slice(0, 8)}`, clean: true, reconnectPeriod: 1000 },
        false,
      );
      client.on('error', (err) => this.logger.warn(`outbound MQTT connection (${lane}): ${err.message}`));
      return client;
    } catch (err) {
      this.connecting.delete(lane);
      throw new MqttConnectError(url, err as Error);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    const connecting = [...this.connecting.values()];
    this.connecting.clear();
    await Promise.all(connecting.map(async (c) => {
      const client = await c.catch(() => undefined);
      await client?.endAsync();
    }));
  }
}

/** MQTT filter matching (+ one level, # the rest) for the few filters the outbound client subscribes to. */
function mqttTopicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
