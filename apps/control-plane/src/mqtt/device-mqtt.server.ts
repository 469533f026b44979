import { Logger } from '@nestjs/common';
import { MqttContext, ServerMqtt } from '@nestjs/microservices';
import type { MqttClient } from 'mqtt';
import { parseDeviceTopic, TOPIC_ROOT, type DeviceTopicKind } from '@edgefleet/contracts';
import { SERVICE_CLIENT_ID_PREFIX } from './broker-policy';
import type { ServiceLogin } from './mqtt-broker.service';
import { RawDeviceDeserializer } from './raw-device.deserializer';

export interface DeviceMqttServerOptions {
  url: string;
  /**
   * Subscribe as `$share/<group>/<topic>` so several control planes on one broker split the device traffic
   * (MQTT 5 shared subscriptions; Mosquitto also grants them to 3.1.1 clients). Undefined = plain
   * subscriptions: needed for the embedded Aedes, which does not implement $share.
   */
  sharedGroup?: string;
  /** The control plane's service login (MqttBrokerService.serviceLogin()). */
  login: ServiceLogin;
  /**
   * Handlers called for their kind's messages directly, past Nest's routing, rxjs pipeline and interceptors
   * (each must set up what an interceptor would, e.g. the correlation id). Only for high-rate topics; the kind
   * keeps its @EventPattern, which is what subscribes it.
   */
  direct?: Partial<Record<DeviceTopicKind, (ctx: MqttContext) => Promise<void>>>;
}

/**
 * Nest's MQTT transport with two changes: raw device JSON instead of Nest's envelope (RawDeviceDeserializer),
 * and subscriptions that are QoS 1 and optionally shared. The @EventPattern keys stay the plain topic filters
 * from `controlPlaneSubscriptions`, so routing an inbound topic to its handler is unchanged.
 */
export class DeviceMqttServer extends ServerMqtt {
  private readonly log = new Logger('DeviceMqttServer');
  private readonly sharedGroup?: string;
  private subscribed: Promise<void> = Promise.resolve();
  private closing = false;
  private readonly direct: NonNullable<DeviceMqttServerOptions['direct']>;

  constructor(opts: DeviceMqttServerOptions) {
    super({
      url: opts.url,
      ...opts.login,
      deserializer: new RawDeviceDeserializer(),
      subscribeOptions: { qos: 1 },
      clientId: `${SERVICE_CLIENT_ID_PREFIX}in-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      reconnectPeriod: 1000,
    });
    this.sharedGroup = opts.sharedGroup;
    this.direct = opts.direct ?? {};
  }

  override handleMessage(channel: string, buffer: Buffer, pub: MqttClient, originalPacket?: Record<string, unknown>): Promise<unknown> {
    const kind = parseDeviceTopic(channel)?.kind;
    const direct = kind && originalPacket && this.direct[kind];
    return direct ? direct(new MqttContext([channel, originalPacket])) : super.handleMessage(channel, buffer, pub, originalPacket);
  }

  /**
   * ServerMqtt reports "listening" on CONNACK; we report it once the broker has granted every subscription,
   * so a device message published right after startup is not lost, and a refused subscription fails startup.
   */
  override async listen(callback: (err?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    await super.listen((err?: unknown) => {
      if (err !== undefined) return callback(err);
      this.subscribed.then(() => callback(), (e: unknown) => callback(e));
    });
  }

  /**
   * ServerMqtt JSON-parses every payload for its envelope; devices send no envelope and the handlers parse the
   * bytes themselves, bounded (DeviceMessageRunner), so the unbounded second parse is skipped: the payload passes
   * through as text. It was a tenth of the telemetry ingest's CPU.
   */
  override parseMessage(content: string): ReturnType<ServerMqtt['parseMessage']> {
    // The "packet" only travels to RawDeviceDeserializer, which makes the envelope from the topic.
    return content as unknown as ReturnType<ServerMqtt['parseMessage']>;
  }

  /**
   * The handler of a device topic by its kind, one map lookup. ServerMqtt's own lookup JSON.parses every topic
   * (a thrown SyntaxError per message) and then matches it against every filter in turn — 5 % of the telemetry
   * ingest's CPU (docs/telemetry.md, "Ingest throughput"). Any other topic goes the inherited way.
   */
  override getHandlerByPattern(topic: string): ReturnType<ServerMqtt['getHandlerByPattern']> {
    const where = parseDeviceTopic(topic);
    return (where && this.messageHandlers.get(`${TOPIC_ROOT}/+/${where.kind}`)) || super.getHandlerByPattern(topic);
  }

  /**
   * Once closing, a message still in flight fails to acknowledge (`write after end`): it stays unacknowledged and the
   * broker delivers it again to the next control plane — nothing lost, so not an error line at every stop.
   */
  protected override handleError(error: string): void {
    if (this.closing) this.log.debug(`while closing: ${String(error)}`);
    else super.handleError(error);
  }

  /**
   * ServerMqtt.close ends its client without waiting: with the embedded broker closed right after (its shutdown hook),
   * the broker reset the half-closed connection and the client logged `read ECONNRESET` as an error at every stop.
   */
  // Server.close() is `any`; ServerMqtt narrowed it to void, but NestMicroservice.close awaits what it returns.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  override async close(): Promise<void> {
    this.closing = true;
    const client = this.mqttClient;
    // A clean end waits for unacknowledged publishes; a broker that is gone would make that wait for ever: 2 s, then forced.
    if (client) {
      // The client's own errors from here on (ServerMqtt's listener logs them as errors) are closing noise as well.
      client.removeAllListeners('error').on('error', (err: Error) => this.log.debug(`while closing: ${err.message}`));
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => client.end(true, {}, () => resolve()), 2000);
        client.end(false, {}, () => { clearTimeout(force); resolve(); });
      });
    }
    super.close(); // the client is ended (a second end() returns at once); this clears the pending listeners
  }

  /** Same as ServerMqtt.bindEvents, plus the $share prefix and a check that the broker granted each filter. */
  override bindEvents(mqttClient: MqttClient): void {
    mqttClient.on('message', this.getMessageHandler(mqttClient).bind(this));
    const filters = [...this.messageHandlers.keys()].map((p) => (this.sharedGroup ? `$share/${this.sharedGroup}/${p}` : p));
    this.subscribed = Promise.all(filters.map((filter) => this.subscribe(mqttClient, filter))).then(() => undefined);
    // Observed here too, so a failure after listen() settled is still logged rather than unhandled.
    this.subscribed.catch((err: Error) => this.log.error(err.message));
  }

  private subscribe(client: MqttClient, filter: string): Promise<void> {
    return new Promise((resolve, reject) => {
      client.subscribe(filter, { qos: 1 }, (err, granted) => {
        if (err) reject(new Error(`MQTT subscribe ${filter} failed: ${err.message}`));
        else if (granted?.some((g) => g.qos === 128)) reject(new Error(`the MQTT broker refused the subscription ${filter}`));
        else resolve();
      });
    });
  }
}
