import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Aedes } from 'aedes';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { AppConfig } from '../config/app-config';
import { MqttBrokerStartError, MqttPortInUseError } from './mqtt.errors';

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

  constructor(private readonly config: AppConfig) {}

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
    this.starting ??= this.embedded ? this.listen() : Promise.resolve();
    return this.starting;
  }

  private async listen(): Promise<void> {
    const { host, mqttPort } = this.config;
    const aedes = await Aedes.createBroker({
      // Device ids (the agents' client ids) may be up to 64 characters; Aedes' default limit is 23.
      maxClientsIdLength: 128,
      // Many devices downloading at once: more in-flight deliveries before Aedes waits for socket drains.
      concurrency: 1000,
    });
    aedes.on('clientError', (client, err) => this.logger.debug(`client ${client.id}: ${err.message}`));
    const server = createServer(aedes.handle);
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
    this.boundUrl = `mqtt://${clientHost(host)}:${port}`;
    this.logger.log(`embedded MQTT broker (Aedes, in-memory persistence) listening on ${host}:${port}`);
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
