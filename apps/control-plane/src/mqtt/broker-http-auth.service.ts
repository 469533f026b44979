import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '@edgefleet/platform';
import { DeviceCredentialService } from '../identity/device-credential.service';
import { BrokerIdentity, isDeviceLogin, mayPublish, maySubscribe, SERVICE_CLIENT_ID_PREFIX } from './broker-policy';

/**
 * The decisions behind the EMQX HTTP authentication and authorization endpoints (BrokerHttpAuthController):
 * the same credential check (DeviceCredentialService.verify) and the same topic rules (broker-policy.ts) the
 * embedded Aedes applies. The control plane's own login on the external broker is MQTT_USERNAME/MQTT_PASSWORD.
 */
@Injectable()
export class BrokerHttpAuthService {
  private readonly secret?: Buffer;
  private readonly servicePassword?: Buffer;

  constructor(private readonly config: AppConfig, private readonly credentials: DeviceCredentialService) {
    this.secret = config.brokerAuthSecret === undefined ? undefined : digest(config.brokerAuthSecret);
    this.servicePassword = config.mqttPassword === undefined ? undefined : digest(config.mqttPassword);
  }

  /** False when BROKER_AUTH_SECRET is unset (the endpoints are closed) or `given` is not it. */
  brokerIsTrusted(given: string | undefined): boolean {
    return this.secret !== undefined && given !== undefined && timingSafeEqual(digest(given), this.secret);
  }

  /** Who this login is, or undefined when it is refused. */
  async authenticate(clientId: string, username: string | undefined, password: string | undefined): Promise<BrokerIdentity | undefined> {
    if (!password) return undefined;
    if (username === this.config.mqttUsername) {
      const ok = this.servicePassword !== undefined && timingSafeEqual(digest(password), this.servicePassword);
      return ok && clientId.startsWith(SERVICE_CLIENT_ID_PREFIX) ? { kind: 'service' } : undefined;
    }
    // The client id must be the username: only a device's own secret can open (and so take over) its session.
    if (!isDeviceLogin(clientId, username)) return undefined;
    return (await this.credentials.verify(username!, password)) ? { kind: 'device', deviceId: username! } : undefined;
  }

  /**
   * May this (already authenticated) client publish on / subscribe to `topic`? EMQX asks only for clients its
   * authentication chain let in, so the identity is read from the username; a device must still be enrolled
   * (a revoked device's session is refused everything at once).
   */
  async authorize(clientId: string, username: string | undefined, action: 'publish' | 'subscribe', topic: string): Promise<boolean> {
    let who: BrokerIdentity;
    if (username === this.config.mqttUsername && clientId.startsWith(SERVICE_CLIENT_ID_PREFIX)) who = { kind: 'service' };
    else if (isDeviceLogin(clientId, username) && (await this.credentials.enrolled(username!))) who = { kind: 'device', deviceId: username! };
    else return false;
    return action === 'publish' ? mayPublish(who, topic) : maySubscribe(who, topic);
  }
}

/** Fixed-length digests, so timingSafeEqual compares secrets of any length without leaking it. */
const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
