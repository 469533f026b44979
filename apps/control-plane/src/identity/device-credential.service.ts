import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from '@edgefleet/platform';
import { BatchQueue } from '../common/batch-queue';
import { brokerHashOf, generateSecret, hashSecret, verifySecret } from './credential-hash';
import { DeviceCredentialRepository, StoredCredential } from './device-credential.repository';

/** A freshly issued credential: returned once, never stored in clear. */
export interface IssuedCredential {
  username: string;
  password: string;
}

export interface PreparedSecret {
  password: string;
  hash: string;
  brokerHash: string;
}

const secretDigest = (password: string): Buffer => createHash('sha256').update(password, 'utf8').digest();

/** How long a device's enrolment status is trusted from memory on the per-message path (other control planes may revoke). */
const STATUS_TTL_MS = 5_000;
const MAX_CACHED = 50_000;

/**
 * Device credentials: issued (REST create, enrollment, rotation) as a random secret whose salted hash is stored
 * (credential-hash.ts: SHA-256 for the 256-bit secrets issued now, scrypt for those issued before), verified when a
 * device connects to the embedded broker, and asked on every inbound message whether the device is still enrolled.
 * A successful check is remembered (as a SHA-256 of the secret, against the same stored hash) so a fleet
 * reconnecting after a broker restart costs no scrypt per device for credentials of the old format.
 */
@Injectable()
export class DeviceCredentialService {
  private readonly verified = new Map<string, { hash: string; digest: Buffer }>();
  private readonly statuses = new Map<string, { at: number; credential: StoredCredential | undefined }>();
  private readonly lookups = new Map<string, Promise<StoredCredential | undefined>>();

  /** Lookups of many devices at once (a fleet connecting, a rollout's first messages) share one query. */
  private readonly finds = new BatchQueue<string, StoredCredential | undefined>(async (ids) => {
    const found = await this.credentials.findMany(ids);
    return ids.map((id) => found.get(id));
  });

  constructor(private readonly credentials: DeviceCredentialRepository) {}

  /**
   * A new secret and its hashes. Called BEFORE the transaction that stores it (issue): the Mosquitto hash (PBKDF2,
   * ~9 ms) must not be computed while a database transaction is held open.
   */
  async prepare(): Promise<PreparedSecret> {
    const password = generateSecret('efd_');
    const [hash, brokerHash] = await Promise.all([hashSecret(password), brokerHashOf(password)]);
    return { password, hash, brokerHash };
  }

  /** Stores a prepared secret in `db` (the caller's transaction); the old one stops working at commit. */
  async issue(deviceId: string, secret: PreparedSecret, opts: { requiredProfileClass?: string; enrollmentTokenId?: string }, db: Db): Promise<IssuedCredential> {
    await this.credentials.put({ deviceId, hash: secret.hash, brokerHash: secret.brokerHash, requiredProfileClass: opts.requiredProfileClass ?? null, enrollmentTokenId: opts.enrollmentTokenId }, db);
    this.forget(deviceId);
    // The secret matches its hash by construction: the device's first login needs no check. Keyed to the hash like
    // any verified entry, so a rolled-back issue leaves it unused.
    this.remember(deviceId, secret.hash, secretDigest(secret.password));
    return { username: deviceId, password: secret.password };
  }

  /** True when `password` is the device's current secret. */
  async verify(deviceId: string, password: string): Promise<boolean> {
    const stored = await this.finds.submit(deviceId);
    if (!stored) return false;
    const digest = secretDigest(password);
    const known = this.verified.get(deviceId);
    if (known && known.hash === stored.hash && timingSafeEqual(known.digest, digest)) return true;
    if (!(await verifySecret(password, stored.hash))) return false;
    this.remember(deviceId, stored.hash, digest);
    return true;
  }

  private remember(deviceId: string, hash: string, digest: Buffer): void {
    if (this.verified.size >= MAX_CACHED) this.verified.clear();
    this.verified.set(deviceId, { hash, digest });
  }

  /** The device's credential if it is enrolled (cached for a few seconds: this runs on every inbound message). */
  async enrolled(deviceId: string): Promise<StoredCredential | undefined> {
    const now = Date.now();
    const cached = this.statuses.get(deviceId);
    if (cached && now - cached.at < STATUS_TTL_MS) return cached.credential;
    // One query per device at a time, however many of its messages arrive together.
    let lookup = this.lookups.get(deviceId);
    if (!lookup) {
      lookup = this.finds.submit(deviceId).finally(() => this.lookups.delete(deviceId));
      this.lookups.set(deviceId, lookup);
    }
    const credential = await lookup;
    if (this.statuses.size >= MAX_CACHED) this.statuses.clear();
    this.statuses.set(deviceId, { at: now, credential });
    return credential;
  }

  /** The stored credential, read in `db` (no cache). */
  current(deviceId: string, db: Db): Promise<StoredCredential | undefined> {
    return this.credentials.find(deviceId, db);
  }

  /** Drops what this process remembers about the device (after a rotation or revocation). */
  forget(deviceId: string): void {
    this.verified.delete(deviceId);
    this.statuses.delete(deviceId);
  }
}
