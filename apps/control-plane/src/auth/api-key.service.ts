import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { UnauthorizedError } from '../common/errors';
import { UnitOfWork } from '../db/unit-of-work';
import { AuditRepository } from '../audit/audit.repository';
import { ApiKeyRepository } from './api-key.repository';
import { apiKeyPrefix, bearerToken, generateApiKey, hashApiKey } from './api-key';

/** The outcome of ensureAdminKey: the key callers can use, and whether it was generated just now. */
export interface AdminKey {
  key?: string;
  generated: boolean;
}

/** lastUsedAt is informative: write it at most once a minute per key, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

@Injectable()
export class ApiKeyService {
  private readonly log = new Logger('Auth');

  constructor(
    private readonly config: AppConfig,
    private readonly keys: ApiKeyRepository,
    private readonly audit: AuditRepository,
    private readonly uow: UnitOfWork,
  ) {}

  /**
   * ADMIN_API_KEY, when given, is stored if it is not yet. Otherwise, only when no key exists at all, a key is
   * generated; it is returned (to be printed once) and never retrievable again.
   */
  async ensureAdminKey(): Promise<AdminKey> {
    const given = this.config.adminApiKey;
    return this.uow.transaction(async (tx) => {
      await this.keys.lockAdminBootstrap(tx);
      if (given !== undefined) {
        if (!(await this.keys.existsByHash(hashApiKey(given), tx))) await this.store('admin (ADMIN_API_KEY)', given, tx);
        return { key: given, generated: false };
      }
      if ((await this.keys.count(tx)) > 0) return { generated: false };
      const key = generateApiKey();
      await this.store('admin (generated)', key, tx);
      return { key, generated: true };
    });
  }

  /** The key id behind an Authorization header, or UnauthorizedError. */
  async authenticate(authorization: string | undefined): Promise<string> {
    const token = bearerToken(authorization);
    if (!token) throw new UnauthorizedError('missing "Authorization: Bearer <api key>" header');
    const key = await this.keys.findActiveByHash(hashApiKey(token));
    if (!key) throw new UnauthorizedError('invalid or revoked API key');
    const now = new Date();
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) await this.keys.touch(key.id, now);
    return key.id;
  }

  private async store(name: string, key: string, tx: Parameters<ApiKeyRepository['create']>[1]): Promise<void> {
    const { id } = await this.keys.create({ name, prefix: apiKeyPrefix(key), hash: hashApiKey(key) }, tx);
    await this.audit.record({ actor: 'system', action: 'apikey.create', entityType: 'apikey', entityId: id, details: { name } }, tx);
    this.log.log(`API key ${apiKeyPrefix(key)}… (${name}) stored`);
  }
}
