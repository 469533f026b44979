import { Logger } from '@nestjs/common';
import { ServerMqtt, type MessageHandler } from '@nestjs/microservices';
import type { MqttClient } from 'mqtt';
import { TOPIC_ROOT, parseDeviceTopic, type DeviceTopicKind } from '@edgefleet/contracts';
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
  private byKind?: Map<DeviceTopicKind, MessageHandler>;

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
   * Nest finds a message's handler by JSON.parse-ing its topic (an exception per message) and matching it against
   * every filter: 4 % of the control plane's CPU in a 1,000-device rollout. A device topic names its filter by its
   * kind (`<root>/+/<kind>`); anything else takes Nest's way.
   */
  override getHandlerByPattern(pattern: string): MessageHandler | null {
    const where = parseDeviceTopic(pattern);
    if (where) {
      this.byKind ??= new Map(
        [...this.messageHandlers].flatMap(([key, handler]) => {
          const m = new RegExp(`^${TOPIC_ROOT}/\\+/([a-z-]+)$`).exec(this.removeHandlerKeySharedPrefix(key));
          return m ? [[m[1] as DeviceTopicKind, handler] as const] : [];
        }),
      );
      const handler = this.byKind.get(where.kind);
      if (handler) return handler;
    }
    return super.getHandlerByPattern(pattern);
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
