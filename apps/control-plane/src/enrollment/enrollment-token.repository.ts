import { Inject, Injectable } from '@nestjs/common';
import { EnrollmentToken, PrismaClient } from '@edgefleet/db';
import type { Db } from '@edgefleet/platform';

export type EnrollmentTokenRecord = Omit<EnrollmentToken, 'hash'>;

export interface NewEnrollmentToken {
  hash: string;
  prefix: string;
  expiresAt?: Date;
  maxUses: number;
  tags: string[];
  profileClass?: string;
  allowCreate: boolean;
  createdBy: string;
}

const visible = {
  id: true, prefix: true, expiresAt: true, maxUses: true, uses: true, tags: true, profileClass: true, allowCreate: true,
  createdBy: true, createdAt: true, revokedAt: true,
} as const;

@Injectable()
export class EnrollmentTokenRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  create(t: NewEnrollmentToken, db: Db = this.prisma): Promise<EnrollmentTokenRecord> {
    return db.enrollmentToken.create({ data: t, select: visible });
  }

  list(): Promise<EnrollmentTokenRecord[]> {
    return this.prisma.enrollmentToken.findMany({ select: visible, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
  }

  async findByHash(hash: string, db: Db = this.prisma): Promise<EnrollmentTokenRecord | undefined> {
    return (await db.enrollmentToken.findUnique({ where: { hash }, select: visible })) ?? undefined;
  }

  /**
   * Takes one use of the token if it is still valid at `now`, decided by one conditional UPDATE so two devices
   * racing for the last use cannot both get it. False when revoked, expired or used up.
   */
  async consume(id: string, now: Date, db: Db): Promise<boolean> {
    const { count } = await db.enrollmentToken.updateMany({
      where: {
        id,
        revokedAt: null,
        uses: { lt: this.prisma.enrollmentToken.fields.maxUses },
        OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
      },
      data: { uses: { increment: 1 } },
    });
    return count === 1;
  }

  /** False when there is no such token; revoking twice is harmless. */
  async revoke(id: string, at: Date, db: Db): Promise<boolean> {
    if (!(await db.enrollmentToken.findUnique({ where: { id }, select: { id: true } }))) return false;
    await db.enrollmentToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
    return true;
  }
}
