import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';
import type { Db } from '@edgefleet/platform';

/** The ids of the state-changing messages devices sent that are stored (DeviceMessage; see prisma/schema.prisma). */
@Injectable()
export class DeviceMessageRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /**
   * Records that `msgId` of `deviceId` is being stored in transaction `tx`. False when it was stored before (a
   * resend): the caller then makes no change. A concurrent transaction claiming the same id waits on the key until
   * the first commits (then gets false) or rolls back (then gets true) — so take it before any other lock.
   */
  async claim(deviceId: string, msgId: string, kind: string, tx: Db): Promise<boolean> {
    const { count } = await tx.deviceMessage.createMany({ data: [{ deviceId, msgId, kind }], skipDuplicates: true });
    return count === 1;
  }

  /**
   * `claim` for many messages in one statement: returns the indexes of `entries` that were claimed now. An entry whose
   * id was stored before, or that repeats an earlier entry of the list, is not (a resend).
   */
  async claimMany(entries: ReadonlyArray<{ deviceId: string; msgId: string }>, kind: string, tx: Db): Promise<Set<number>> {
    const first = new Map<string, number>();
    entries.forEach((e, i) => { if (!first.has(keyOf(e))) first.set(keyOf(e), i); });
    const unique = [...first.values()].map((i) => entries[i]!);
    if (unique.length === 0) return new Set();
    const rows = await tx.$queryRaw<Array<{ deviceId: string; msgId: string }>>`
      INSERT INTO "DeviceMessage" ("deviceId", "msgId", "kind")
      SELECT d, m, ${kind} FROM unnest(${unique.map((e) => e.deviceId)}::text[], ${unique.map((e) => e.msgId)}::text[]) AS t(d, m)
      ON CONFLICT DO NOTHING
      RETURNING "deviceId", "msgId"`;
    return new Set(rows.map((r) => first.get(keyOf(r))!));
  }

  /** Takes back claims of this transaction for messages that were refused after all (a resend is then judged again). */
  async unclaim(entries: ReadonlyArray<{ deviceId: string; msgId: string }>, tx: Db): Promise<void> {
    if (entries.length === 0) return;
    await tx.$executeRaw`
      DELETE FROM "DeviceMessage" WHERE ("deviceId", "msgId") IN (SELECT * FROM unnest(${entries.map((e) => e.deviceId)}::text[], ${entries.map((e) => e.msgId)}::text[]))`;
  }

  /** Forgets ids stored before `before` (a device stops resending long before). */
  async pruneBefore(before: Date): Promise<number> {
    const { count } = await this.prisma.deviceMessage.deleteMany({ where: { receivedAt: { lt: before } } });
    return count;
  }
}

const keyOf = (e: { deviceId: string; msgId: string }) => `${e.deviceId}\n${e.msgId}`;
