import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Aedes, type Client } from 'aedes';
import { MAX_MQTT_PACKET_BYTES } from '@edgefleet/contracts';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { AppConfig } from '@edgefleet/platform';
import { DeviceCredentialService } from '../identity/device-credential.service';
import { EmbeddedBrokerAuth } from './embedded-broker-auth';
import { MqttBrokerStartError, MqttPortInUseError } from './mqtt.errors';
import { PacketSizeGuard } from './packet-size-guard';
import { SERVICE_USERNAME } from './broker-policy';

/** How the control plane's own MQTT clients log in (its service identity). */
export interface ServiceLogin {
  username?: string;
  password?: string;
  /** CA to trust for an mqtts:// embedded broker whose certificate the operator issued. */
  ca?: Buffer;
}

/**
 * The broker the control plane and the devices talk through: an embedded Aedes on config.host:config.mqttPort,
 * or the external broker at config.mqttUrl (then nothing is embedded).
 *
 * Aedes keeps retained messages, QoS 1 sessions and wills in its default in-memory persistence: a restart of
 * the control plane forgets them. That is acceptable because devices re-send hello on reconnect and the
 * control plane answers with `republishDesired`, so retained desired state is rebuilt from the database.
 * Aedes has no shared subscriptions ($share); see DeviceMqttServer.
 *
 * `start()` is idempotent: whoever needs the broker first (onModuleInit, the microservice options, the
 * publisher) starts it, so the order Nest runs hooks in does not matter.
 */
@Injectable()
export class MqttBrokerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('MqttBroker');
  private starting?: Promise<void>;
  private aedes?: Aedes;
  private server?: Server;
  private boundUrl?: string;
  private auth?: EmbeddedBrokerAuth;
  /** The embedded broker's service password: generated per process, never written anywhere. */
  private readonly servicePassword = randomBytes(32).toString('base64url');

  constructor(private readonly config: AppConfig, private readonly credentials: DeviceCredentialService) {}

  /** The login the control plane's own connections use: generated for the embedded broker, MQTT_USERNAME/MQTT_PASSWORD otherwise. */
  serviceLogin(): ServiceLogin {
    if (!this.embedded) {
      return this.config.mqttPassword === undefined ? {} : { username: this.config.mqttUsername, password: this.config.mqttPassword };
    }
    const caFile = this.config.mqttTlsCa ?? this.config.mqttTlsCert;
    const ca = caFile ? readFileSync(caFile) : undefined;
    return { username: SERVICE_USERNAME, password: this.servicePassword, ca };
  }

  /** Closes the connection of this device on the embedded broker, if it has one (revocation, rotation). */
  disconnect(deviceId: string): boolean {
    const aedes = this.aedes;
    const auth = this.auth;
    if (!aedes || !auth) return false;
    const clients = (aedes as unknown as { clients: Record<string, Client> }).clients;
    const client = clients[deviceId];
    if (!client || !auth.isDevice(client, deviceId)) return false;
    client.close();
    this.logger.log(`device ${deviceId} disconnected from the embedded broker`);
    return true;
  }

  /**
   * Publishes into the embedded broker from inside this process: no MQTT client, no loopback socket, no second
   * encode/parse of the payload (for a rollout, the model's bytes once per device). Resolves when the broker has
   * handed the message to every subscriber's connection (for QoS 1 it keeps it until the device's PUBACK), which is
   * the back-pressure a client's PUBACK gave. Only for the embedded broker, after start().
   */
  publishInProcess(topic: string, payload: Buffer | string, opts: { qos: 0 | 1; retain: boolean }): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('the embedded broker is not running'));
    return new Promise((resolve, reject) => {
      aedes.publish(
        { cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: opts.qos, retain: opts.retain, dup: false },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  /** True when this process runs the broker (no MQTT_URL). */
  get embedded(): boolean {
    return this.config.mqttUrl === undefined;
  }

  /** Where clients (this control plane, agents, tests) connect. Valid after start(). */
  get url(): string {
    if (this.config.mqttUrl !== undefined) return this.config.mqttUrl;
    if (this.boundUrl === undefined) throw new Error('MqttBrokerService.url read before start()');
    return this.boundUrl;
  }

  /** The TCP port the embedded broker bound (the real one when MQTT_PORT=0); undefined when external. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  async onModuleInit(): Promise<void> {
    await this.start();
  }

  start(): Promise<void> {
    if (!this.starting && this.config.mqttAllowAnonymous && !this.embedded) {
      this.logger.warn('!!! MQTT_ALLOW_ANONYMOUS=true: the control plane accepts messages from devices it never enrolled (unknown devices register themselves by hello) and serves any stored object. Lab use only. !!!');
    }
    this.starting ??= this.embedded ? this.listen() : Promise.resolve();
    return this.starting;
  }

  private async listen(): Promise<void> {
    const { host, mqttPort } = this.config;
    const tls = this.config.mqttTlsCert !== undefined;
    const mutualTls = this.config.mqttTlsClientCa !== undefined;
    if (this.config.mqttAllowAnonymous) {
      this.logger.warn('!!! MQTT_ALLOW_ANONYMOUS=true: the embedded broker accepts ANONYMOUS clients that may act as ANY device, and unknown devices register themselves by hello. Lab use only: anyone who reaches the broker owns the fleet. !!!');
    }
    this.auth = new EmbeddedBrokerAuth({
      servicePassword: this.servicePassword,
      credentials: this.credentials,
      allowAnonymous: this.config.mqttAllowAnonymous,
      mutualTls,
      logger: this.logger,
    });
    const aedes = await Aedes.createBroker({
      ...this.auth.hooks(),
      // Device ids (the agents' client ids) may be up to 64 characters; Aedes' default limit is 23.
      maxClientsIdLength: 128,
      // Many devices downloading at once: more in-flight deliveries before Aedes waits for socket drains.
      concurrency: 1000,
    });
    aedes.on('clientError', (client, err) => this.logger.debug(`client ${client.id}: ${err.message}`));
    // Every connection passes the size guard first, so an oversized packet is refused at its header.
    const handle = (socket: Socket) => {
      const guarded = new PacketSizeGuard(socket, MAX_MQTT_PACKET_BYTES);
      guarded.on('error', (err) => this.logger.warn(`MQTT connection from ${socket.remoteAddress}: ${err.message}`));
      aedes.handle(guarded);
    };
    const server = tls
      ? createTlsServer({
          cert: readFileSync(this.config.mqttTlsCert!),
          key: readFileSync(this.config.mqttTlsKey!),
          ...(mutualTls ? { ca: readFileSync(this.config.mqttTlsClientCa!), requestCert: true, rejectUnauthorized: false } : {}),
        }, handle)
      : createServer(handle);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(mqttPort, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      const e = err as NodeJS.ErrnoException;
      throw e.code === 'EADDRINUSE' ? new MqttPortInUseError(host, mqttPort) : new MqttBrokerStartError(host, mqttPort, e);
    }
    server.on('error', (err) => this.logger.error(`embedded broker socket error: ${err.message}`));
    this.aedes = aedes;
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.boundUrl = `${tls ? 'mqtts' : 'mqtt'}://${clientHost(host)}:${port}`;
    const mode = this.config.mqttAllowAnonymous ? 'ANONYMOUS ALLOWED' : `closed${tls ? ', TLS' : ''}${mutualTls ? ', client certificates' : ''}`;
    this.logger.log(`embedded MQTT broker (Aedes, in-memory persistence, ${mode}) listening on ${host}:${port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Disconnects every client, then stops accepting connections. */
  async close(): Promise<void> {
    const { aedes, server } = this;
    this.aedes = undefined;
    this.server = undefined;
    this.starting = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (server?.listening) {
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    }
  }
}

/** A wildcard bind address is not something a client can connect to; loopback reaches it. */
function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
