import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  DEVICE_ID_PATTERN, DesiredStateMessage, PROTOCOL_VERSION, type StateQueryMessage, signDesiredState, topics, validateAs, type TrustedKey, type TrustedKeySet,
} from '@edgefleet/contracts';
import { AuditRepository, AppConfig } from '@edgefleet/platform';
import type { Actor } from '@edgefleet/platform';
import { BatchQueue } from '../common/batch-queue';
import { MqttPublisher } from '../mqtt/mqtt-publisher.service';
import { DesiredSeqRepository } from './desired-seq.repository';
import { InvalidDesiredStateError } from './ota.errors';
import { SigningKeyStore, type RotationStep } from './signing-key.store';

/** What a caller decides; the signed envelope (device, seq, validity, key) is added by `sign`. */
export type DesiredStateInput = Omit<DesiredStateMessage, 'v' | 'signature' | 'deviceId' | 'seq' | 'issuedAt' | 'expiresAt' | 'keyId'>;

/**
 * Publishes what each device should run: the desired state, bound to the device, numbered with the device's next
 * seq from the database, valid for DESIRED_STATE_VALIDITY_MIN, signed with the control plane's current Ed25519 key
 * and retained on the device's topic, so a device that connects later still gets it.
 */
@Injectable()
export class OtaService implements OnModuleInit {
  private readonly keys: SigningKeyStore;
  private currentPublicKeyPem = '';
  /** Seqs of desired states signed at the same time (a deployment's fan-out, a fleet's hellos) come from one statement. */
  private readonly nextSeqs = new BatchQueue<string, number>((ids) => this.seqs.nextMany(ids));

  constructor(
    private readonly config: AppConfig,
    private readonly publisher: MqttPublisher,
    private readonly seqs: DesiredSeqRepository,
    private readonly audit: AuditRepository,
  ) {
    this.keys = new SigningKeyStore(config.signingKeyDir);
  }

  async onModuleInit(): Promise<void> {
    await this.keys.init();
    this.currentPublicKeyPem = (await this.keys.current()).publicKeyPem;
  }

  /** PEM (SPKI) of the key desired states are signed with (as of start or the last rotation here). */
  publicKeyPem(): string {
    return this.currentPublicKeyPem;
  }

  /** File holding the current public key, for agents' `--trust-key`. */
  publicKeyPath(): string {
    return this.keys.publicKeyPath;
  }

  trustedKeys(): Promise<TrustedKey[]> {
    return this.keys.trustedKeys();
  }

  /** `GET /api/v1/trusted-keys`: the set, signed by each of its keys. */
  trustedKeySet(): Promise<TrustedKeySet> {
    return this.keys.trustedKeySet();
  }

  async rotateKeys(step: RotationStep, actor: Actor): Promise<TrustedKey[]> {
    const keys = await this.keys.rotate(step);
    const current = await this.keys.current();
    this.currentPublicKeyPem = current.publicKeyPem;
    await this.audit.record({ actor, action: `signing-key.${step}`, entityType: 'signing-key', entityId: current.keyId, details: { trusted: keys.map((k) => k.keyId) } });
    return keys;
  }

  /** Signs (with a new seq) and publishes (retained, QoS 1); resolves once the broker has acknowledged it. */
  async publishDesired(deviceId: string, desired: DesiredStateInput): Promise<void> {
    const message = await this.sign(deviceId, desired);
    await this.publisher.publish(topics.desired(deviceId), JSON.stringify(message), { qos: 1, retain: true });
  }

  /** Asks a device what it has for `deploymentId` (it answers on `…/state`). */
  async queryState(deviceId: string, deploymentId: string): Promise<void> {
    assertDeviceId(deviceId);
    const msg: StateQueryMessage = { v: PROTOCOL_VERSION, deploymentId };
    await this.publisher.publish(topics.query(deviceId), JSON.stringify(msg), { qos: 1 });
  }

  /** Removes the retained desired state (an empty retained payload deletes it on every MQTT broker). */
  async clearDesired(deviceId: string): Promise<void> {
    assertDeviceId(deviceId);
    await this.publisher.publish(topics.desired(deviceId), Buffer.alloc(0), { qos: 1, retain: true });
  }

  /** The exact message publishDesired sends, consuming one seq of the device; exported for tests and tools. */
  async sign(deviceId: string, desired: DesiredStateInput, now = new Date()): Promise<DesiredStateMessage> {
    assertDeviceId(deviceId);
    const key = await this.keys.current();
    // Checked before a seq is spent: a bad manifest would be refused by every agent.
    const draft = { v: PROTOCOL_VERSION, deviceId, seq: 1, ...desired, issuedAt: now.toISOString(), expiresAt: new Date(now.getTime() + this.config.desiredStateValidityMs).toISOString(), keyId: key.keyId };
    const checked = validateAs(DesiredStateMessage, draft);
    if (!checked.ok) throw new InvalidDesiredStateError(deviceId, checked.errors);
    const unsigned = { ...draft, seq: await this.nextSeqs.submit(deviceId) };
    return { ...unsigned, signature: signDesiredState(unsigned, key.privateKey) };
  }
}

function assertDeviceId(deviceId: string): void {
  if (!DEVICE_ID_PATTERN.test(deviceId)) throw new InvalidDesiredStateError(deviceId, ['device id is not topic-safe']);
}
