import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';
import type { Db } from '@edgefleet/platform';

/** Per-device sequence numbers of signed desired states (table DesiredStateSeq). */
@Injectable()
export class DesiredSeqRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /**
   * The next seq for `deviceId`: one statement (insert, or increment on conflict, returning the new value), so
   * control planes sharing the database never hand out the same number twice and no number ever repeats.
   */
  async next(deviceId: string, db: Db = this.prisma): Promise<number> {
    const rows = await db.$queryRaw<Array<{ seq: bigint }>>`
      INSERT INTO "DesiredStateSeq" ("deviceId", "seq", "updatedAt") VALUES (${deviceId}, 1, now())
      ON CONFLICT ("deviceId") DO UPDATE SET "seq" = "DesiredStateSeq"."seq" + 1, "updatedAt" = now()
      RETURNING "seq"`;
    return Number(rows[0]!.seq);
  }
}
