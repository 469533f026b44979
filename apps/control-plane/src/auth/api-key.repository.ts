import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';
import type { Db } from '../db/prisma-types';

export interface StoredApiKey {
  id: string;
  name: string;
  lastUsedAt: Date | null;
}

@Injectable()
export class ApiKeyRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

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
