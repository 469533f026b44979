import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  DEVICE_ID_PATTERN, DesiredStateMessage, PROTOCOL_VERSION, signDesiredState, topics, validateAs,
} from '@edgefleet/contracts';
import { AppConfig } from '../config/app-config';
import { MqttPublisher } from '../mqtt/mqtt-publisher.service';
import { InvalidDesiredStateError } from './ota.errors';
import { loadOrCreateSigningKey, type SigningKey } from './signing-key.store';

export type DesiredStateInput = Omit<DesiredStateMessage, 'v' | 'signature'>;

/**
 * Publishes what each device should run: the desired state, signed with the control plane's Ed25519 key and
 * retained on the device's topic, so a device that connects later still gets it.
 */
@Injectable()
export class OtaService implements OnModuleInit {
  private key?: SigningKey;

  constructor(private readonly config: AppConfig, private readonly publisher: MqttPublisher) {}

  async onModuleInit(): Promise<void> {
    this.key = await loadOrCreateSigningKey(this.config.dataDir);
  }

  /** PEM (SPKI) of the key agents must trust. */
  publicKeyPem(): string {
    return this.signingKey().publicKeyPem;
  }

  /** File holding publicKeyPem(), for agents' `--trust-key`. */
  publicKeyPath(): string {
    return this.signingKey().publicKeyPath;
  }

  /** Validates, signs and publishes (retained, QoS 1); resolves once the broker has acknowledged it. */
  async publishDesired(deviceId: string, desired: DesiredStateInput): Promise<void> {
    const message = this.sign(deviceId, desired);
    await this.publisher.publish(topics.desired(deviceId), JSON.stringify(message), { qos: 1, retain: true });
  }

  /** Removes the retained desired state (an empty retained payload deletes it on every MQTT broker). */
  async clearDesired(deviceId: string): Promise<void> {
    assertDeviceId(deviceId);
    await this.publisher.publish(topics.desired(deviceId), Buffer.alloc(0), { qos: 1, retain: true });
  }

  /** The exact message publishDesired sends; exported for tests and tools. */
  sign(deviceId: string, desired: DesiredStateInput): DesiredStateMessage {
    assertDeviceId(deviceId);
    const unsigned = { ...desired, v: PROTOCOL_VERSION };
    // Checked here, at the last door before the devices: a bad manifest would be refused by every agent.
    const checked = validateAs(DesiredStateMessage, unsigned);
    if (!checked.ok) throw new InvalidDesiredStateError(deviceId, checked.errors);
    return { ...unsigned, signature: signDesiredState(unsigned, this.signingKey().privateKey) };
  }

  private signingKey(): SigningKey {
    if (!this.key) throw new Error('OtaService used before its module was initialised (signing key not loaded)');
    return this.key;
  }
}

function assertDeviceId(deviceId: string): void {
  if (!DEVICE_ID_PATTERN.test(deviceId)) throw new InvalidDesiredStateError(deviceId, ['device id is not topic-safe']);
}
