import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';
import type { Db } from '@edgefleet/platform';

export interface StoredCredential {
  deviceId: string;
  hash: string;
  brokerHash: string;
  requiredProfileClass: string | null;
  /** The enrollment token that issued it (null: REST creation or rotation). */
  enrollmentTokenId: string | null;
  createdAt: Date;
}

export interface NewCredential extends Omit<StoredCredential, 'enrollmentTokenId' | 'createdAt'> {
  enrollmentTokenId?: string;
}

const fields = { deviceId: true, hash: true, brokerHash: true, requiredProfileClass: true, enrollmentTokenId: true, createdAt: true } as const;

@Injectable()
export class DeviceCredentialRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async find(deviceId: string, db: Db = this.prisma): Promise<StoredCredential | undefined> {
    return (await db.deviceCredential.findUnique({ where: { deviceId }, select: fields })) ?? undefined;
  }

  /** `find` for many devices in one query (absent: not enrolled). */
  async findMany(deviceIds: readonly string[]): Promise<Map<string, StoredCredential>> {
    const rows = await this.prisma.deviceCredential.findMany({ where: { deviceId: { in: [...new Set(deviceIds)] } }, select: fields });
    return new Map(rows.map((r) => [r.deviceId, r]));
  }

  /** Replaces the device's credential (issue and rotate alike): the old secret stops working with this commit. */
  async put(c: NewCredential, db: Db = this.prisma): Promise<void> {
    const data = { hash: c.hash, brokerHash: c.brokerHash, requiredProfileClass: c.requiredProfileClass, enrollmentTokenId: c.enrollmentTokenId ?? null, createdAt: new Date() };
    await db.deviceCredential.upsert({ where: { deviceId: c.deviceId }, create: { deviceId: c.deviceId, ...data }, update: data });
  }

  /** Every enrolled device's broker hash, for the generated Mosquitto configuration. */
  async allBrokerHashes(): Promise<Array<{ deviceId: string; brokerHash: string }>> {
    return this.prisma.deviceCredential.findMany({ select: { deviceId: true, brokerHash: true }, orderBy: { deviceId: 'asc' } });
  }
}
