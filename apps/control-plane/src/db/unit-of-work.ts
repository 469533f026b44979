import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';
import type { Db } from './prisma-types';

/**
 * Runs several repository calls in one database transaction. Services use it to make a change and its audit
 * event (or a deployment and its device rows) atomic without knowing anything about Prisma: they only pass the
 * opaque `tx` on to repository methods.
 */
@Injectable()
export class UnitOfWork {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction((tx) => work(tx), { timeout: 30_000, maxWait: 30_000 });
  }
}
