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

  /** Forgets ids stored before `before` (a device stops resending long before). */
  async pruneBefore(before: Date): Promise<number> {
    const { count } = await this.prisma.deviceMessage.deleteMany({ where: { receivedAt: { lt: before } } });
    return count;
  }
}
