import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, NotFoundError, UnauthorizedError, InvalidInputError, UnitOfWork, AuditRepository } from '@edgefleet/platform';
import type { Page, Db, Actor } from '@edgefleet/platform';
import { ApiKeyRepository, ApiKeySourceName, StoredApiKey } from './api-key.repository';
import { VerifiedKeyCache, type VerifiedKey } from './verified-key.cache';
import { apiKeyPrefix, bearerToken, generateApiKey, hashApiKey, keyMatches, lookupIdOf, newSalt, sameText, sha256Hex } from './api-key';
import type { Role } from './roles';

/** The outcome of ensureAdminKey: the key callers can use, and whether it was generated just now. */
export interface AdminKey {
  key?: string;
  generated: boolean;
}

export interface NewKeyRequest {
  name: string;
  role: Role;
  expiresAt?: Date;
}

/** A request's headers (Fastify's and Nest's request share the one object). */
export type RequestHeaders = { authorization?: string };

/** lastUsedAt is informative: written at most once a minute per key, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

@Injectable()
export class ApiKeyService {
  private readonly log = new Logger('Auth');
  private readonly cache: VerifiedKeyCache;
  /** Per request (its headers object, gone with it): the digest of its key. */
  private readonly digests = new WeakMap<RequestHeaders, { token: string; digest: string }>();

  constructor(
    private readonly config: AppConfig,
    private readonly keys: ApiKeyRepository,
    private readonly audit: AuditRepository,
    private readonly uow: UnitOfWork,
  ) {
    this.cache = new VerifiedKeyCache(config.apiKeyRecheckMs, (id) => this.keys.findById(id));
  }

  /**
   * The start-up rule (docs/architecture.md, "API keys"), applied under a database lock so control planes starting
   * together apply it one after the other:
   * - ADMIN_API_KEY set: it is stored (salted) if it is not already; a previous ADMIN_API_KEY and every generated
   *   bootstrap key are revoked — setting the variable takes over from the generated key.
   * - ADMIN_API_KEY unset: keys stored from it earlier are revoked (the variable is what makes it valid); when then
   *   no usable admin key is left, one is generated and returned to be printed once.
   * Keys created over the API are never touched.
   */
  async ensureAdminKey(): Promise<AdminKey> {
    const given = this.config.adminApiKey;
    return this.uow.transaction(async (tx) => {
      await this.keys.lockStartupRule(tx);
      const now = new Date();
      const envKeys = await this.keys.activeBySource('env', tx);
      let stored = false;
      for (const row of envKeys) {
        if (given !== undefined && !stored && (await keyMatches(given, row))) stored = true;
        else await this.revokeAtStart(row, given === undefined ? 'ADMIN_API_KEY is no longer set' : 'ADMIN_API_KEY changed', now, tx);
      }
      if (given !== undefined) {
        if (!stored) await this.store({ name: 'admin (ADMIN_API_KEY)', role: 'admin' }, given, null, 'env', 'system', tx);
        for (const row of await this.keys.activeBySource('bootstrap', tx)) await this.revokeAtStart(row, 'ADMIN_API_KEY is set', now, tx);
        return { key: given, generated: false };
      }
      if ((await this.keys.countActiveAdmins(now, tx)) > 0) return { generated: false };
      const { key, lookupId } = generateApiKey();
      await this.store({ name: 'admin (generated)', role: 'admin' }, key, lookupId, 'bootstrap', 'system', tx);
      return { key, generated: true };
    });
  }

  /**
   * The verified key behind an Authorization header, or UnauthorizedError. A key is verified against the database
   * (scrypt) once, then served from memory; revocation and role changes are re-read every `apiKeyRecheckMs`.
   * Synchronous (returns or throws) when the key is cached and not due for its re-check, else a promise.
   */
  authenticate(headers: RequestHeaders): VerifiedKey | Promise<VerifiedKey> {
    const token = bearerToken(headers.authorization);
    if (!token) throw new UnauthorizedError('missing "Authorization: Bearer <api key>" header');
    const digest = this.digestOf(headers, token);
    const now = new Date();
    // Answered at once when the cache can (the common case), so the guard need not wait a microtask turn.
    const current = this.cache.current(digest, now);
    if (current !== 'ask') return this.admitted(current);
    return this.cache.get(digest, () => this.verify(token), now).then((key) => this.admitted(key));
  }

  private admitted(key: VerifiedKey | undefined): VerifiedKey {
    if (!key) throw new UnauthorizedError('invalid, expired or revoked API key');
    this.touch(key.id);
    return key;
  }

  /** The key id of an already verified token without any I/O (rate limiting keys by it), else undefined. */
  knownKeyId(headers: RequestHeaders): string | undefined {
    const token = bearerToken(headers.authorization);
    return token ? this.cache.peek(this.digestOf(headers, token))?.id : undefined;
  }

  /** SHA-256 of the request's key, once per request (the rate limiter and the guard both need it). */
  private digestOf(headers: RequestHeaders, token: string): string {
    const known = this.digests.get(headers);
    if (known?.token === token) return known.digest;
    const digest = sha256Hex(token);
    this.digests.set(headers, { token, digest });
    return digest;
  }

  async create(req: NewKeyRequest, actor: Actor): Promise<{ key: string; record: StoredApiKey }> {
    if (req.expiresAt && req.expiresAt.getTime() <= Date.now()) throw new InvalidInputError('expiresAt must be in the future');
    const { key, lookupId } = generateApiKey();
    const record = await this.uow.transaction((tx) => this.store(req, key, lookupId, 'api', actor, tx));
    return { key, record };
  }

  async list(page: { limit: number; offset: number }, includeRevoked: boolean): Promise<Page<StoredApiKey>> {
    return { ...(await this.keys.list(page, includeRevoked)), ...page };
  }

  /** Takes effect at once here and within `apiKeyRecheckMs` on every other control plane. */
  async revoke(id: string, actor: Actor): Promise<void> {
    await this.uow.transaction(async (tx) => {
      if (!(await this.keys.revoke(id, new Date(), tx))) throw new NotFoundError('api key', id);
      await this.audit.record({ actor, action: 'apikey.revoke', entityType: 'apikey', entityId: id }, tx);
    });
    this.cache.forgetId(id);
    this.log.log(`API key ${id} revoked by ${actor}`);
  }

  private async verify(token: string): Promise<VerifiedKey | undefined> {
    const lookupId = lookupIdOf(token);
    let row: StoredApiKey | null = null;
    if (lookupId) {
      const found = await this.keys.findByLookupId(lookupId);
      if (found && (await keyMatches(token, found))) row = found;
    } else if (this.config.adminApiKey !== undefined && sameText(token, this.config.adminApiKey)) {
      // ADMIN_API_KEY is compared with the configured value; its row (kept by ensureAdminKey) gives id and role.
      row = (await this.keys.activeBySource('env'))[0] ?? null;
    } else {
      row = await this.keys.findLegacyByHash(sha256Hex(token));
    }
    return row && !row.revokedAt ? { id: row.id, role: row.role, expiresAt: row.expiresAt } : undefined;
  }

  private touch(id: string): void {
    if (!this.cache.dueForTouch(id, Date.now(), TOUCH_INTERVAL_MS)) return;
    this.keys.touch(id, new Date(), TOUCH_INTERVAL_MS).catch((err: unknown) => {
      this.log.warn(`lastUsedAt of API key ${id} not written: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  private async store(req: { name: string; role: Role; expiresAt?: Date }, key: string, lookupId: string | null, source: ApiKeySourceName, actor: Actor, tx: Db): Promise<StoredApiKey> {
    const salt = newSalt();
    const record = await this.keys.create(
      { name: req.name, prefix: apiKeyPrefix(key), lookupId, hash: await hashApiKey(key, salt), salt, role: req.role, source, createdBy: actor, expiresAt: req.expiresAt ?? null },
      tx,
    );
    await this.audit.record({ actor, action: 'apikey.create', entityType: 'apikey', entityId: record.id, details: { name: req.name, role: req.role, source } }, tx);
    this.log.log(`API key ${record.prefix}… (${req.name}, ${req.role}) stored`);
    return record;
  }

  private async revokeAtStart(row: StoredApiKey, reason: string, at: Date, tx: Db): Promise<void> {
    await this.keys.revoke(row.id, at, tx);
    await this.audit.record({ actor: 'system', action: 'apikey.revoke', entityType: 'apikey', entityId: row.id, details: { name: row.name, reason } }, tx);
    this.cache.forgetId(row.id);
    this.log.log(`API key ${row.prefix}… (${row.name}) revoked: ${reason}`);
  }
}
