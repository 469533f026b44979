import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/prisma-types';
import { brokerHashOf, generateSecret, hashSecret, verifySecret } from './credential-hash';
import { DeviceCredentialRepository, StoredCredential } from './device-credential.repository';

/** A freshly issued credential: returned once, never stored in clear. */
export interface IssuedCredential {
  username: string;
  password: string;
}

/** How long a device's enrolment status is trusted from memory on the per-message path (other control planes may revoke). */
const STATUS_TTL_MS = 5_000;
const MAX_CACHED = 50_000;

/**
 * Device credentials: issued (REST create, enrollment, rotation) as a random secret whose salted scrypt hash is
 * stored, verified when a device connects to the embedded broker, and asked on every inbound message whether
 * the device is still enrolled. A successful scrypt check is remembered (as a SHA-256 of the secret, against
 * the same stored hash) so a fleet reconnecting after a broker restart does not cost 40 ms of scrypt per device.
 */
@Injectable()
export class DeviceCredentialService {
  private readonly verified = new Map<string, { hash: string; digest: Buffer }>();
  private readonly statuses = new Map<string, { at: number; credential: StoredCredential | undefined }>();

  constructor(private readonly credentials: DeviceCredentialRepository) {}

  /** Hashes a new secret and stores it in `db` (the caller's transaction); the old one stops working at commit. */
  async issue(deviceId: string, opts: { requiredProfileClass?: string; enrollmentTokenId?: string }, db: Db): Promise<IssuedCredential> {
    const password = generateSecret('efd_');
    const [hash, brokerHash] = await Promise.all([hashSecret(password), brokerHashOf(password)]);
    await this.credentials.put({ deviceId, hash, brokerHash, requiredProfileClass: opts.requiredProfileClass ?? null, enrollmentTokenId: opts.enrollmentTokenId }, db);
    this.forget(deviceId);
    return { username: deviceId, password };
  }

  /** True when `password` is the device's current secret. */
  async verify(deviceId: string, password: string): Promise<boolean> {
    const stored = await this.credentials.find(deviceId);
    if (!stored) return false;
    const digest = createHash('sha256').update(password, 'utf8').digest();
    const known = this.verified.get(deviceId);
    if (known && known.hash === stored.hash && timingSafeEqual(known.digest, digest)) return true;
    if (!(await verifySecret(password, stored.hash))) return false;
    if (this.verified.size >= MAX_CACHED) this.verified.clear();
    this.verified.set(deviceId, { hash: stored.hash, digest });
    return true;
  }

  /** The device's credential if it is enrolled (cached for a few seconds: this runs on every inbound message). */
  async enrolled(deviceId: string): Promise<StoredCredential | undefined> {
    const now = Date.now();
    const cached = this.statuses.get(deviceId);
    if (cached && now - cached.at < STATUS_TTL_MS) return cached.credential;
    const credential = await this.credentials.find(deviceId);
    if (this.statuses.size >= MAX_CACHED) this.statuses.clear();
    this.statuses.set(deviceId, { at: now, credential });
    return credential;
  }

  /** Drops what this process remembers about the device (after a rotation or revocation). */
  forget(deviceId: string): void {
    this.verified.delete(deviceId);
    this.statuses.delete(deviceId);
  }
}
