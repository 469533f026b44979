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

  /**
   * `next` for many devices in one statement: the i-th answer is the seq for `deviceIds[i]`. A device listed k times
   * gets k consecutive numbers, in list order.
   */
  async nextMany(deviceIds: readonly string[], db: Db = this.prisma): Promise<number[]> {
    if (deviceIds.length === 0) return [];
    const rows = await db.$queryRaw<Array<{ deviceId: string; seq: bigint }>>`
      INSERT INTO "DesiredStateSeq" ("deviceId", "seq", "updatedAt")
      SELECT d, count(*), now() FROM unnest(${[...deviceIds]}::text[]) AS t(d) GROUP BY d
      ON CONFLICT ("deviceId") DO UPDATE SET "seq" = "DesiredStateSeq"."seq" + EXCLUDED."seq", "updatedAt" = now()
      RETURNING "deviceId", "seq"`;
    const last = new Map(rows.map((r) => [r.deviceId, Number(r.seq)]));
    const counts = new Map<string, number>();
    for (const id of deviceIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    const taken = new Map<string, number>();
    return deviceIds.map((id) => {
      const k = taken.get(id) ?? 0;
      taken.set(id, k + 1);
      return last.get(id)! - counts.get(id)! + 1 + k;
    });
  }
}
