import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';
import type { HardwareProfile } from '@edgefleet/contracts';

/** A hardware class as the fleet knows it: the devices sharing a profileClass. */
export interface ProfileClassRecord {
  profileClass: string;
  deviceCount: number;
  /** The profile of the class's first registered device (class-defining fields are equal across the class). */
  example: HardwareProfile;
}

@Injectable()
export class ProfileRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async listClasses(): Promise<ProfileClassRecord[]> {
    const groups = await this.prisma.device.groupBy({ by: ['profileClass'], _count: { _all: true }, orderBy: { profileClass: 'asc' } });
    if (groups.length === 0) return [];
    // One example per class: DISTINCT ON (profileClass), oldest device first.
    const examples = await this.prisma.device.findMany({
      distinct: ['profileClass'], orderBy: [{ profileClass: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
      select: { profileClass: true, profile: true },
    });
    const byClass = new Map(examples.map((e) => [e.profileClass, e.profile as unknown as HardwareProfile]));
    return groups.map((g) => ({ profileClass: g.profileClass, deviceCount: g._count._all, example: byClass.get(g.profileClass)! }));
  }

  async findClass(profileClass: string): Promise<ProfileClassRecord | undefined> {
    const [count, first] = await Promise.all([
      this.prisma.device.count({ where: { profileClass } }),
      this.prisma.device.findFirst({ where: { profileClass }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: { profile: true } }),
    ]);
    return first ? { profileClass, deviceCount: count, example: first.profile as unknown as HardwareProfile } : undefined;
  }
}
