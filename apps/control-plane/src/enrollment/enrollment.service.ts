import { Injectable, Logger } from '@nestjs/common';
import { profileClassOf, type EnrollRequestBody } from '@edgefleet/contracts';
import { createHash } from 'node:crypto';
import type { Actor, Db } from '@edgefleet/platform';
import { AuditRepository, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, UnprocessableError, UnitOfWork } from '@edgefleet/platform';
import { DeviceRepository } from '../devices/device.repository';
import { assertUsableDeviceId, DevicesService, plainProfile } from '../devices/device.service';
import { DeviceCredentialService, IssuedCredential } from '../identity/device-credential.service';
import { generateSecret } from '../identity/credential-hash';
import { OtaService } from '../ota/ota.service';
import { EnrollmentTokenRecord, EnrollmentTokenRepository } from './enrollment-token.repository';

export interface NewTokenRequest {
  expiresAt?: string;
  maxUses?: number;
  tags?: string[];
  profileClass?: string;
  allowCreate?: boolean;
}

export interface Enrollment {
  deviceId: string;
  credential: IssuedCredential;
  trustedKeys: Array<{ keyId: string; algorithm: 'ed25519'; publicKeyPem: string }>;
}

/** Tokens are random 32-byte secrets: found by their SHA-256 like API keys (a slow hash would need a scan). */
const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const REFUSED = 'invalid, expired, used up or revoked enrollment token';
/** How long after an enrollment the same device and token may enroll again and get a fresh credential (a lost answer). */
export const ENROLL_RETRY_WINDOW_MS = 15 * 60_000;

/**
 * Enrollment: an operator creates a token (expiry, uses, tags, hardware class, may it create devices); a device
 * presents it once to POST /enroll and receives its own MQTT credential. Everything a use of the token changes —
 * the use count, the device, its credential and the audit event — commits in one transaction.
 */
@Injectable()
export class EnrollmentService {
  private readonly log = new Logger('Enrollment');

  constructor(
    private readonly tokens: EnrollmentTokenRepository,
    private readonly devices: DeviceRepository,
    private readonly deviceService: DevicesService,
    private readonly credentials: DeviceCredentialService,
    private readonly audit: AuditRepository,
    private readonly uow: UnitOfWork,
    private readonly ota: OtaService,
  ) {}

  async createToken(req: NewTokenRequest, actor: Actor): Promise<{ record: EnrollmentTokenRecord; token: string }> {
    const expiresAt = req.expiresAt ? new Date(req.expiresAt) : undefined;
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw new UnprocessableError('expiresAt is in the past');
    const token = generateSecret('efe_');
    const record = await this.uow.transaction(async (tx) => {
      const created = await this.tokens.create({
        hash: hashToken(token), prefix: token.slice(0, 10), expiresAt, maxUses: req.maxUses ?? 1,
        tags: [...new Set(req.tags ?? [])], profileClass: req.profileClass, allowCreate: req.allowCreate ?? true, createdBy: actor,
      }, tx);
      await this.audit.record({ actor, action: 'enrollment-token.create', entityType: 'enrollment-token', entityId: created.id, details: { maxUses: created.maxUses, allowCreate: created.allowCreate } }, tx);
      return created;
    });
    return { record, token };
  }

  listTokens(): Promise<EnrollmentTokenRecord[]> {
    return this.tokens.list();
  }

  async revokeToken(id: string, actor: Actor): Promise<void> {
    await this.uow.transaction(async (tx) => {
      if (!(await this.tokens.revoke(id, new Date(), tx))) throw new NotFoundError('enrollment token', id);
      await this.audit.record({ actor, action: 'enrollment-token.revoke', entityType: 'enrollment-token', entityId: id }, tx);
    });
  }

  async enroll(req: EnrollRequestBody): Promise<Enrollment> {
    assertUsableDeviceId(req.deviceId);
    const token = await this.tokens.findByHash(hashToken(req.token));
    if (!token) throw new UnauthorizedError(REFUSED);
    const profile = plainProfile(req.profile);
    const profileClass = profileClassOf(profile);
    if (token.profileClass && token.profileClass !== profileClass) {
      throw new UnprocessableError(`profile class ${profileClass} is not the class ${token.profileClass} this token enrolls`);
    }
    const secret = await this.credentials.prepare();
    const { credential, retried } = await this.uow.transaction(async (tx) => {
      const now = new Date();
      const existing = await this.devices.find(req.deviceId, tx);
      const retried = existing !== undefined && (await this.isRetry(existing, token, profileClass, now, tx));
      if (retried) {
        // The retry of an enrollment whose answer was lost: no second use; the token must still be valid.
        if (token.revokedAt || (token.expiresAt && token.expiresAt <= now)) throw new UnauthorizedError(REFUSED);
      } else if (!(await this.tokens.consume(token.id, now, tx))) throw new UnauthorizedError(REFUSED);
      if (existing && !retried) {
        if (token.allowCreate) throw new ConflictError(`device ${JSON.stringify(req.deviceId)} already exists; this token only creates new devices`);
        if (!token.tags.every((t) => existing.tags.includes(t))) {
          throw new ConflictError(`device ${JSON.stringify(req.deviceId)} does not carry this token's tags, so the token may not take it over`);
        }
        await this.devices.update(req.deviceId, { profile, profileClass, agentVersion: req.agentVersion }, tx);
      } else if (!existing) {
        if (!token.allowCreate) throw new ForbiddenError(`this enrollment token only enrolls devices registered beforehand; ${JSON.stringify(req.deviceId)} is not`);
        await this.devices.create({
          id: req.deviceId, name: req.name ?? req.deviceId, tags: [...new Set([...token.tags, ...(req.tags ?? [])])],
          profile, profileClass, agentVersion: req.agentVersion,
        }, tx);
      }
      // A retry gets a new secret too: the lost answer's one stops working at commit.
      const issued = await this.credentials.issue(req.deviceId, secret, { requiredProfileClass: token.profileClass ?? undefined, enrollmentTokenId: token.id }, tx);
      await this.audit.record({
        actor: `enrollment-token:${token.id}`, action: 'device.enroll', entityType: 'device', entityId: req.deviceId,
        details: { profileClass, created: !existing, ...(retried ? { retried: true } : {}) },
      }, tx);
      return { credential: issued, retried };
    });
    await this.deviceService.grantOnBroker(req.deviceId, credential.password);
    this.log.log(`device ${req.deviceId} enrolled with token ${token.prefix}… (class ${profileClass}${retried ? ', a retry: new credential, no use taken' : ''})`);
    // The current trusted key set (two keys during a rotation; docs/security.md).
    return { deviceId: req.deviceId, credential, trustedKeys: await this.ota.trustedKeys() };
  }

  /**
   * Is this the retry of an enrollment whose answer was lost? Only when the device's credential was issued by this
   * same token less than ENROLL_RETRY_WINDOW_MS ago, for the same hardware class, and the device has never been seen
   * on the broker with it (a device that connected got its answer). Whoever holds the token could have enrolled
   * that id in the first place, so answering again gives them nothing new.
   */
  private async isRetry(device: { id: string; profileClass: string; lastSeenAt: Date | null }, token: EnrollmentTokenRecord, profileClass: string, now: Date, tx: Db): Promise<boolean> {
    if (device.lastSeenAt || device.profileClass !== profileClass) return false;
    const current = await this.credentials.current(device.id, tx);
    return current?.enrollmentTokenId === token.id && now.getTime() - current.createdAt.getTime() < ENROLL_RETRY_WINDOW_MS;
  }
}
