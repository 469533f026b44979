import { Injectable, Logger } from '@nestjs/common';
import { profileClassOf, type EnrollRequestBody } from '@edgefleet/contracts';
import { createHash } from 'node:crypto';
import type { Actor } from '@edgefleet/platform';
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
    const credential = await this.uow.transaction(async (tx) => {
      if (!(await this.tokens.consume(token.id, new Date(), tx))) throw new UnauthorizedError(REFUSED);
      const existing = await this.devices.find(req.deviceId, tx);
      if (existing) {
        if (token.allowCreate) throw new ConflictError(`device ${JSON.stringify(req.deviceId)} already exists; this token only creates new devices`);
        if (!token.tags.every((t) => existing.tags.includes(t))) {
          throw new ConflictError(`device ${JSON.stringify(req.deviceId)} does not carry this token's tags, so the token may not take it over`);
        }
        await this.devices.update(req.deviceId, { profile, profileClass, agentVersion: req.agentVersion }, tx);
      } else {
        if (!token.allowCreate) throw new ForbiddenError(`this enrollment token only enrolls devices registered beforehand; ${JSON.stringify(req.deviceId)} is not`);
        await this.devices.create({
          id: req.deviceId, name: req.name ?? req.deviceId, tags: [...new Set([...token.tags, ...(req.tags ?? [])])],
          profile, profileClass, agentVersion: req.agentVersion,
        }, tx);
      }
      const issued = await this.credentials.issue(req.deviceId, secret, { requiredProfileClass: token.profileClass ?? undefined, enrollmentTokenId: token.id }, tx);
      await this.audit.record({
        actor: `enrollment-token:${token.id}`, action: 'device.enroll', entityType: 'device', entityId: req.deviceId,
        details: { profileClass, created: !existing },
      }, tx);
      return issued;
    });
    await this.deviceService.grantOnBroker(req.deviceId, credential.password);
    this.log.log(`device ${req.deviceId} enrolled with token ${token.prefix}… (class ${profileClass})`);
    // The current trusted key set (two keys during a rotation; docs/security.md).
    return { deviceId: req.deviceId, credential, trustedKeys: await this.ota.trustedKeys() };
  }
}
