import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';
import type { Db } from '@edgefleet/platform';
import type { Role } from './roles';

export type ApiKeySourceName = 'env' | 'bootstrap' | 'api';

/** A stored key as the service sees it (the hash and salt only where verification needs them). */
export interface StoredApiKey {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  source: ApiKeySourceName;
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface StoredSecret {
  hash: string;
  salt: string | null;
}

export interface NewApiKey {
  name: string;
  prefix: string;
  lookupId: string | null;
  hash: string;
  salt: string;
  role: Role;
  source: ApiKeySourceName;
  createdBy: string | null;
  expiresAt: Date | null;
}

const PUBLIC_FIELDS = {
  id: true, name: true, prefix: true, role: true, source: true, createdBy: true, createdAt: true, expiresAt: true, lastUsedAt: true, revokedAt: true,
} as const;
const WITH_SECRET = { ...PUBLIC_FIELDS, hash: true, salt: true } as const;

/** Any constant: the transaction-scoped advisory lock that serialises the first-key rule across control planes. */
const FIRST_KEY_LOCK = 0x65666b31; // "efk1"

@Injectable()
export class ApiKeyRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /** Held until the transaction ends: two control planes starting at once apply the start-up rule in turn. */
  async lockStartupRule(tx: Db): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_KEY_LOCK}::bigint)`;
  }

  findByLookupId(lookupId: string): Promise<(StoredApiKey & StoredSecret) | null> {
    return this.prisma.apiKey.findUnique({ where: { lookupId }, select: WITH_SECRET });
  }

  /** Rows of older versions: SHA-256 of the key, no salt. */
  findLegacyByHash(hash: string): Promise<StoredApiKey | null> {
    return this.prisma.apiKey.findFirst({ where: { hash, salt: null }, select: PUBLIC_FIELDS });
  }

  findById(id: string, db: Db = this.prisma): Promise<StoredApiKey | null> {
    return db.apiKey.findUnique({ where: { id }, select: PUBLIC_FIELDS });
  }

  activeBySource(source: ApiKeySourceName, db: Db = this.prisma): Promise<Array<StoredApiKey & StoredSecret>> {
    return db.apiKey.findMany({ where: { source, revokedAt: null }, select: WITH_SECRET, orderBy: { createdAt: 'asc' } });
  }

  countActiveAdmins(now: Date, db: Db): Promise<number> {
    return db.apiKey.count({ where: { role: 'admin', revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] } });
  }

  async create(key: NewApiKey, db: Db = this.prisma): Promise<StoredApiKey> {
    return db.apiKey.create({ data: key, select: PUBLIC_FIELDS });
  }

  async list(page: { limit: number; offset: number }, includeRevoked: boolean): Promise<{ items: StoredApiKey[]; total: number }> {
    const where = includeRevoked ? {} : { revokedAt: null };
    const [items, total] = await Promise.all([
      this.prisma.apiKey.findMany({ where, select: PUBLIC_FIELDS, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: page.limit, skip: page.offset }),
      this.prisma.apiKey.count({ where }),
    ]);
    return { items, total };
  }

  /** False when the key does not exist or was revoked already. */
  async revoke(id: string, at: Date, db: Db = this.prisma): Promise<boolean> {
    const { count } = await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
    return count === 1;
  }

  /** Writes lastUsedAt unless another request (or control plane) wrote one within `minAgeMs`. */
  async touch(id: string, at: Date, minAgeMs: number): Promise<void> {
    const before = new Date(at.getTime() - minAgeMs);
    await this.prisma.apiKey.updateMany({ where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: before } }] }, data: { lastUsedAt: at } });
  }
}
