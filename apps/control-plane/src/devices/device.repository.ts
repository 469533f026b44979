import { Inject, Injectable } from '@nestjs/common';
import { Device, Prisma, PrismaClient } from '@edgefleet/db';
import type { HardwareProfile } from '@edgefleet/contracts';
import type { Db } from '@edgefleet/platform';
import { readPage, ReadCache } from '@edgefleet/platform';
import type { DeviceStatusName } from './device.dto';
import type { SegmentSelector } from '../segments/segment.types';

export type DeviceRecord = Device;

export interface NewDevice {
  id: string;
  name: string;
  tags: string[];
  profile: HardwareProfile;
  profileClass: string;
  status?: DeviceStatusName;
  agentVersion?: string;
  lastSeenAt?: Date;
}

export interface DeviceChanges {
  name?: string;
  tags?: string[];
  profile?: HardwareProfile;
  profileClass?: string;
  status?: DeviceStatusName;
  agentVersion?: string;
  lastSeenAt?: Date;
  activeArtifactId?: string | null;
}

export interface DeviceFilter {
  tag?: string;
  status?: DeviceStatusName;
  profileClass?: string;
}

const anyTag = (tags: readonly string[]): Prisma.DeviceWhereInput => (tags.length > 0 ? { tags: { hasSome: [...tags] } } : {});

/** A hardware class as the fleet knows it: the devices sharing a profileClass. */
export interface ProfileClassRecord {
  profileClass: string;
  deviceCount: number;
  /** The profile of the class's first registered device (class-defining fields are equal across the class). */
  example: HardwareProfile;
}

const json = (profile: HardwareProfile) => ({ ...profile }) as Prisma.InputJsonObject;

/** What the cached reads of this repository read. */
const DEVICE_TABLES = ['Device'] as const;

@Injectable()
export class DeviceRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient, private readonly cache: ReadCache) {}

  /** Returns undefined when a device with this id already exists (decided by the primary key, race-free). */
  async create(device: NewDevice, db: Db = this.prisma): Promise<DeviceRecord | undefined> {
    const data = { ...device, profile: json(device.profile) };
    // ON CONFLICT DO NOTHING via createMany keeps a failed insert from aborting the surrounding transaction.
    const { count } = await db.device.createMany({ data: [data], skipDuplicates: true });
    return count === 1 ? this.find(device.id, db) : undefined;
  }

  async find(id: string, db: Db = this.prisma): Promise<DeviceRecord | undefined> {
    return (await db.device.findUnique({ where: { id } })) ?? undefined;
  }

  /** The device as the API shows it: from the read cache until the table changes (shared: do not mutate). */
  findCached(id: string): Promise<DeviceRecord | undefined> {
    return this.cache.read(DEVICE_TABLES, `device:${id}`, () => this.find(id));
  }

  /** A page of devices, from the read cache until the table changes (shared: do not mutate). */
  list(filter: DeviceFilter, page: { limit: number; offset: number }): Promise<{ items: DeviceRecord[]; total: number }> {
    const where = this.where(filter);
    return this.cache.read(DEVICE_TABLES, `devices:${JSON.stringify([filter.tag, filter.status, filter.profileClass, page.limit, page.offset])}`, () =>
      readPage(
        page,
        (take) => this.prisma.device.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take, skip: page.offset }),
        () => this.prisma.device.count({ where }),
      ));
  }

  /** Ids of the given devices that exist, plus every device carrying any of the tags. */
  async resolveTargets(ids: string[], tags: string[], db: Db = this.prisma): Promise<{ found: string[] }> {
    const or: Prisma.DeviceWhereInput[] = [];
    if (ids.length > 0) or.push({ id: { in: ids } });
    if (tags.length > 0) or.push({ tags: { hasSome: tags } });
    if (or.length === 0) return { found: [] };
    const rows = await db.device.findMany({ where: { OR: or }, select: { id: true }, orderBy: { id: 'asc' } });
    return { found: rows.map((r) => r.id) };
  }

  /** Device classes among the devices carrying any of the tags (no tags: every device). */
  async classesOf(tags: readonly string[]): Promise<string[]> {
    const rows = await this.prisma.device.findMany({ where: anyTag(tags), distinct: ['profileClass'], select: { profileClass: true } });
    return rows.map((r) => r.profileClass);
  }

  /** The devices of one class carrying any of the tags, with the model each runs. */
  async classMembers(tags: readonly string[], profileClass: string): Promise<Array<{ id: string; activeArtifactId: string | null }>> {
    return this.prisma.device.findMany({ where: { ...anyTag(tags), profileClass }, orderBy: { id: 'asc' }, select: { id: true, activeArtifactId: true } });
  }

  /** Undefined when the device does not exist. */
  async update(id: string, changes: DeviceChanges, db: Db = this.prisma): Promise<DeviceRecord | undefined> {
    const { profile, ...rest } = changes;
    const { count } = await db.device.updateMany({
      where: { id },
      data: { ...rest, ...(profile ? { profile: json(profile) } : {}) },
    });
    return count === 1 ? this.find(id, db) : undefined;
  }

  /** Sets the model each device runs (device → artifact id): one statement per artifact. */
  async setActiveArtifacts(running: ReadonlyMap<string, string>, db: Db = this.prisma): Promise<void> {
    const byArtifact = new Map<string, string[]>();
    for (const [deviceId, artifactId] of running) byArtifact.set(artifactId, [...(byArtifact.get(artifactId) ?? []), deviceId]);
    for (const [activeArtifactId, ids] of byArtifact) await db.device.updateMany({ where: { id: { in: ids } }, data: { activeArtifactId } });
  }

  /** False when the device did not exist. Its deployment rows and reports go with it (cascade). */
  /** Devices per (status, hardware class): the fleet gauge of /metrics. */
  /** From the read cache until a device changes (`/metrics` reads it on every scrape; shared: do not mutate). */
  countByStatusAndClass(): Promise<Array<{ status: string; profileClass: string; count: number }>> {
    return this.cache.read(DEVICE_TABLES, 'devices:count-by-status-and-class', async () => {
      const rows = await this.prisma.device.groupBy({ by: ['status', 'profileClass'], _count: { _all: true }, orderBy: [{ status: 'asc' }, { profileClass: 'asc' }] });
      return rows.map((r) => ({ status: r.status, profileClass: r.profileClass, count: r._count._all }));
    });
  }

  /** Hardware class of each of these devices (one query; unknown ids are absent). */
  async profileClassesOf(ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.prisma.device.findMany({ where: { id: { in: [...ids] } }, select: { id: true, profileClass: true } });
    return new Map(rows.map((r) => [r.id, r.profileClass]));
  }

  /** Telemetry heard from these devices at `at` (one statement for a whole ingest flush). */
  async markSeen(ids: readonly string[], at: Date): Promise<void> {
    await this.prisma.device.updateMany({ where: { id: { in: [...ids] }, OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: at } }] }, data: { lastSeenAt: at } });
  }

  async delete(id: string, db: Db = this.prisma): Promise<boolean> {
    const { count } = await db.device.deleteMany({ where: { id } });
    return count === 1;
  }

  /** Every hardware class with its device count and an example profile. */
  async listProfileClasses(): Promise<ProfileClassRecord[]> {
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

  async findProfileClass(profileClass: string): Promise<ProfileClassRecord | undefined> {
    const [count, first] = await Promise.all([
      this.prisma.device.count({ where: { profileClass } }),
      this.prisma.device.findFirst({ where: { profileClass }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: { profile: true } }),
    ]);
    return first ? { profileClass, deviceCount: count, example: first.profile as unknown as HardwareProfile } : undefined;
  }

  /** Devices a segment selector matches: how many, per class, and the first `sample` by id. */
  async preview(selector: SegmentSelector, sample: number): Promise<{ count: number; classes: Record<string, number>; sample: Array<Pick<Device, 'id' | 'profileClass' | 'tags' | 'agentVersion' | 'activeArtifactId'>> }> {
    const where = selectorWhere(selector);
    const [groups, rows] = await Promise.all([
      this.prisma.device.groupBy({ by: ['profileClass'], where, _count: { _all: true }, orderBy: { profileClass: 'asc' } }),
      this.prisma.device.findMany({ where, orderBy: { id: 'asc' }, take: sample, select: { id: true, profileClass: true, tags: true, agentVersion: true, activeArtifactId: true } }),
    ]);
    const classes: Record<string, number> = {};
    for (const g of groups) classes[g.profileClass] = g._count._all;
    return { count: groups.reduce((n, g) => n + g._count._all, 0), classes, sample: rows };
  }

  /** Every device a selector matches (id order), with what a rollout needs of it; `except` leaves out devices already known. */
  async matching(selector: SegmentSelector, db: Db = this.prisma): Promise<Array<{ id: string; profileClass: string; activeArtifactId: string | null }>> {
    return db.device.findMany({ where: selectorWhere(selector), orderBy: { id: 'asc' }, select: { id: true, profileClass: true, activeArtifactId: true } });
  }

  /** The model each of these devices runs now (one query). */
  /** Devices whose active model is this artifact (the first `take` ids). */
  async runningArtifact(artifactId: string, take = 20, db: Db = this.prisma): Promise<string[]> {
    const rows = await db.device.findMany({ where: { activeArtifactId: artifactId }, select: { id: true }, orderBy: { id: 'asc' }, take });
    return rows.map((r) => r.id);
  }

  async activeArtifacts(ids: readonly string[], db: Db = this.prisma): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    const rows = await db.device.findMany({ where: { id: { in: [...ids] } }, select: { id: true, activeArtifactId: true } });
    return new Map(rows.map((r) => [r.id, r.activeArtifactId]));
  }

  private where(filter: DeviceFilter): Prisma.DeviceWhereInput {
    return {
      ...(filter.tag ? { tags: { has: filter.tag } } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.profileClass ? { profileClass: filter.profileClass } : {}),
    };
  }
}

/** A segment selector as a query: AND over the criteria given, OR within each (segments/segment.types.ts). */
function selectorWhere(s: SegmentSelector): Prisma.DeviceWhereInput {
  const and: Prisma.DeviceWhereInput[] = [];
  if (s.tags?.length) and.push({ tags: { hasSome: s.tags } });
  if (s.profileClasses?.length) and.push({ profileClass: { in: s.profileClasses } });
  if (s.agentVersions?.length) and.push({ agentVersion: { in: s.agentVersions } });
  if (s.activeArtifactIds?.length) {
    const ids = s.activeArtifactIds.filter((id) => id !== 'none');
    and.push({ OR: [...(ids.length ? [{ activeArtifactId: { in: ids } }] : []), ...(ids.length < s.activeArtifactIds.length ? [{ activeArtifactId: null }] : [])] });
  }
  if (s.deviceIds?.length) and.push({ id: { in: s.deviceIds } });
  if (s.excludeDeviceIds?.length) and.push({ id: { notIn: s.excludeDeviceIds } });
  return and.length ? { AND: and } : {};
}
