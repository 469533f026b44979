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

  /**
   * PostgreSQL may abort a transaction as a deadlock victim or on a serialization failure; the work is then
   * retried from the start (it was rolled back whole), a few times with jitter, before the error surfaces.
   */
  async transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.prisma.$transaction((tx) => work(tx), { timeout: 30_000, maxWait: 30_000 });
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableConflict(err)) throw err;
        await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20 * attempt));
      }
    }
  }
}

const MAX_ATTEMPTS = 4;

/** Deadlock (40P01), serialization failure (40001), or Prisma's own code for them (P2034). */
export function isRetryableConflict(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return code === 'P2034' || /\b(40P01|40001)\b|deadlock detected|could not serialize access/.test(err.message);
}
