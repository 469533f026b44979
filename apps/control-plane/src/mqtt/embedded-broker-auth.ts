import type { Logger } from '@nestjs/common';
import type { AedesOptions, Client } from 'aedes';
import { timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { DeviceCredentialService } from '../identity/device-credential.service';
import {
  BrokerIdentity, isDeviceLogin, mayPublish, mayReceive, maySubscribe, SERVICE_CLIENT_ID_PREFIX, SERVICE_USERNAME,
} from './broker-policy';
import { PacketSizeGuard } from './packet-size-guard';

/** MQTT 3.1.1 CONNACK codes Aedes passes through. */
const BAD_LOGIN = 4;
const NOT_AUTHORIZED = 5;

export interface EmbeddedBrokerAuthOptions {
  servicePassword: string;
  credentials: DeviceCredentialService;
  /** MQTT_ALLOW_ANONYMOUS: anonymous clients get the `lab` identity. */
  allowAnonymous: boolean;
  /** Mutual TLS is on: a verified client certificate whose CN is the client id logs a device in without a password. */
  mutualTls: boolean;
  logger: Logger;
}

/**
 * The embedded Aedes' authentication and authorization hooks: who a connection is (authenticate), what it may
 * publish, subscribe to and receive (broker-policy.ts). Each connection's identity is kept beside its Aedes
 * client; a client without one (never authenticated) may do nothing.
 */
export class EmbeddedBrokerAuth {
  private readonly identities = new WeakMap<Client, BrokerIdentity>();
  private readonly servicePassword: Buffer;

  constructor(private readonly opts: EmbeddedBrokerAuthOptions) {
    this.servicePassword = Buffer.from(opts.servicePassword, 'utf8');
  }

  hooks(): Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
    return {
      authenticate: (client, username, password, done) => {
        this.identify(client, username, password).then(
          (who) => {
            if (!who) {
              this.opts.logger.warn(`refused MQTT login: client id ${JSON.stringify(client.id)}, username ${JSON.stringify(username ?? null)}`);
              return done(Object.assign(new Error('bad user name or password'), { returnCode: BAD_LOGIN }), false);
            }
            this.identities.set(client, who);
            done(null, true);
          },
          (err: Error) => {
            this.opts.logger.error(`MQTT login check failed: ${err.message}`);
            done(Object.assign(new Error('server unavailable'), { returnCode: 3 }), false);
          },
        );
      },
      authorizePublish: (client, packet, done) => {
        const who = client ? this.identities.get(client) : undefined;
        if (who && mayPublish(who, packet.topic)) return done(null);
        this.opts.logger.warn(`refused publish by ${client?.id ?? '?'} on ${packet.topic}`);
        done(new Error(`not authorized to publish on ${packet.topic}`));
      },
      authorizeSubscribe: (client, sub, done) => {
        const who = this.identities.get(client);
        if (who && maySubscribe(who, sub.topic)) return done(null, sub);
        this.opts.logger.warn(`refused subscription of ${client.id} to ${sub.topic}`);
        done(null, null); // negative SUBACK (0x80), the connection stays
      },
      authorizeForward: (client, packet) => {
        const who = this.identities.get(client);
        return who && mayReceive(who, packet.topic) ? packet : null;
      },
    };
  }

  /** Used when a device is revoked: its current connection, if any, on this broker. */
  isDevice(client: Client, deviceId: string): boolean {
    const who = this.identities.get(client);
    return who?.kind === 'device' && who.deviceId === deviceId;
  }

  private async identify(client: Client, username: string | undefined, password: Buffer | undefined): Promise<BrokerIdentity | undefined> {
    if (username === SERVICE_USERNAME) {
      const given = password ?? Buffer.alloc(0);
      const ok = given.length === this.servicePassword.length && timingSafeEqual(given, this.servicePassword);
      return ok && client.id.startsWith(SERVICE_CLIENT_ID_PREFIX) ? { kind: 'service' } : undefined;
    }
    const cn = this.opts.mutualTls ? verifiedCommonName(client) : undefined;
    if (cn !== undefined && cn === client.id && (username === undefined || username === cn) && isDeviceLogin(cn, cn)) {
      return (await this.opts.credentials.enrolled(cn)) ? { kind: 'device', deviceId: cn } : undefined;
    }
    if (username === undefined && password === undefined) return this.opts.allowAnonymous ? { kind: 'lab' } : undefined;
    // The client id must be the username: only a device's own secret can open (and so take over) its session.
    if (!isDeviceLogin(client.id, username) || !password) return undefined;
    return (await this.opts.credentials.verify(username!, password.toString('utf8'))) ? { kind: 'device', deviceId: username! } : undefined;
  }
}

/** The CN of a client certificate the TLS layer verified against MQTT_TLS_CLIENT_CA, if there is one. */
function verifiedCommonName(client: Client): string | undefined {
  const conn = client.conn as unknown;
  const socket = (conn instanceof PacketSizeGuard ? conn.underlying : conn) as Partial<TLSSocket>;
  if (!socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' ? cn : undefined;
}
