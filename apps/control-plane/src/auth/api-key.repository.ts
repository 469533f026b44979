import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';
import type { Db } from '../db/prisma-types';

/** Advisory lock key of lockAdminBootstrap ("efadmin" folded into int4; distinct from Prisma Migrate's). */
const ADMIN_BOOTSTRAP_LOCK_ID = 0x65666164;

export interface StoredApiKey {
  id: string;
  name: string;
  lastUsedAt: Date | null;
}

@Injectable()
export class ApiKeyRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /**
   * Transaction-scoped lock that serialises the first-start admin key step between control planes starting
   * together on one database: the second sees the first's key instead of inserting it again (ApiKey_hash_key)
   * or generating a second one. A no-op for PGlite, which has one connection.
   */
  async lockAdminBootstrap(db: Db): Promise<void> {
    await db.$executeRaw`SELECT pg_advisory_xact_lock(${ADMIN_BOOTSTRAP_LOCK_ID}::bigint)`;
  }

  count(db: Db = this.prisma): Promise<number> {
    return db.apiKey.count();
  }

  findActiveByHash(hash: string): Promise<StoredApiKey | null> {
    return this.prisma.apiKey.findFirst({
      where: { hash, revokedAt: null },
      select: { id: true, name: true, lastUsedAt: true },
    });
  }

  existsByHash(hash: string, db: Db = this.prisma): Promise<boolean> {
    return db.apiKey.count({ where: { hash } }).then((n) => n > 0);
  }

  async create(key: { name: string; prefix: string; hash: string }, db: Db = this.prisma): Promise<{ id: string }> {
    return db.apiKey.create({ data: key, select: { id: true } });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: at } });
  }
}
