import { Inject, Injectable } from '@nestjs/common';
import { Prisma, PrismaClient, Rollout, RolloutDecision, RolloutDevice } from '@edgefleet/db';
import type { Db } from '@edgefleet/platform';
import { LeaseLostError, readPage } from '@edgefleet/platform';
import type { SegmentSelector } from '../segments/segment.types';
import { DRIVEN_STATES, FINAL_STATES, type Decision, type RolloutPlan, type RolloutStateName, type RolloutWhat } from './rollout.types';

export type RolloutRecord = Omit<Rollout, 'plan' | 'what' | 'selector' | 'artifacts' | 'state'> & {
  plan: RolloutPlan; what: RolloutWhat; selector: SegmentSelector; artifacts: Record<string, string>; state: RolloutStateName;
};
export type RolloutDeviceRecord = RolloutDevice;
export type RolloutDecisionRecord = RolloutDecision;

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as Prisma.InputJsonObject;
const toRecord = (r: Rollout): RolloutRecord => ({
  ...r, plan: r.plan as unknown as RolloutPlan, what: r.what as unknown as RolloutWhat, selector: r.selector as SegmentSelector,
  artifacts: r.artifacts as Record<string, string>,
});

export interface NewRollout {
  name: string;
  segmentId: string;
  selector: SegmentSelector;
  segmentMode: 'dynamic' | 'frozen';
  what: RolloutWhat;
  plan: RolloutPlan;
  startAt?: Date;
  createdBy: string;
}

export interface RolloutChanges {
  state?: RolloutStateName;
  currentWave?: number;
  waveStartedAt?: Date | null;
  paceFrom?: Date | null;
  switchedAt?: Date | null;
  reason?: string | null;
  artifacts?: Record<string, string>;
  finishedAt?: Date | null;
}

/** Rollout, RolloutDevice and RolloutDecision: a rollout's plan, its devices and the decisions taken on it. */
@Injectable()
export class RolloutRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async create(r: NewRollout, db: Db = this.prisma): Promise<RolloutRecord> {
    return toRecord(await db.rollout.create({
      data: {
        name: r.name, segmentId: r.segmentId, selector: json(r.selector), segmentMode: r.segmentMode, what: json(r.what), plan: json(r.plan),
        startAt: r.startAt ?? null, createdBy: r.createdBy,
      },
    }));
  }

  async find(id: string, db: Db = this.prisma): Promise<RolloutRecord | undefined> {
    const r = await db.rollout.findUnique({ where: { id } });
    return r ? toRecord(r) : undefined;
  }

  async list(filter: { state?: RolloutStateName }, page: { limit: number; offset: number }): Promise<{ items: RolloutRecord[]; total: number }> {
    const where = filter.state ? { state: filter.state } : {};
    const { items, total } = await readPage(
      page,
      (take) => this.prisma.rollout.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take, skip: page.offset }),
      () => this.prisma.rollout.count({ where }),
    );
    return { items: items.map(toRecord), total };
  }

  /** Rollouts not final that deliver this artifact (named in the request or chosen for a class), as `rollout <id>` lines. */
  async liveUsing(artifactId: string): Promise<string[]> {
    const rows = await this.prisma.rollout.findMany({ where: { state: { notIn: [...FINAL_STATES] } }, select: { id: true, what: true, artifacts: true } });
    return rows.filter((r) => (r.what as { artifactId?: string }).artifactId === artifactId || Object.values(r.artifacts as Record<string, string>).includes(artifactId))
      .map((r) => `rollout ${r.id}`);
  }

  async update(id: string, changes: RolloutChanges, db: Db = this.prisma): Promise<void> {
    const { artifacts, ...rest } = changes;
    await db.rollout.update({ where: { id }, data: { ...rest, ...(artifacts ? { artifacts: json(artifacts) } : {}) } });
  }

  /** Row lock on the rollout: operator actions and the driver's writes take it first, so they apply one after the other. */
  async lock(id: string, db: Db): Promise<RolloutRecord | undefined> {
    const rows = await db.$queryRaw<Array<{ id: string }>>`SELECT id FROM "Rollout" WHERE id = ${id} FOR UPDATE`;
    return rows.length ? this.find(id, db) : undefined;
  }

  /**
   * The rollout locked, if `owner` still holds its lease (by the database's clock); LeaseLostError otherwise — a
   * driver that lost its lease must not write, another control plane drives the rollout now.
   */
  async fence(id: string, owner: string, db: Db): Promise<RolloutRecord> {
    const rows = await db.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM "Rollout" WHERE id = ${id} AND "leaseOwner" = ${owner} AND "leaseExpiresAt" > now() FOR UPDATE`;
    if (rows.length === 0) throw new LeaseLostError(`rollout ${id}`);
    return (await this.find(id, db))!;
  }

  /**
   * Takes (or renews) the lease of every rollout the driver works on that is free, expired or already ours: one
   * statement, judged by the database's clock. Returns the ids now held by `owner`.
   */
  async acquireDriven(owner: string, leaseMs: number): Promise<string[]> {
    const states = Prisma.join([...DRIVEN_STATES].map((s) => Prisma.sql`${s}::"RolloutState"`));
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE "Rollout" SET "leaseOwner" = ${owner}, "leaseExpiresAt" = now() + (${leaseMs} * interval '1 millisecond')
      WHERE "state" IN (${states}) AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < now() OR "leaseOwner" = ${owner})
      RETURNING id`;
    return rows.map((r) => r.id).sort();
  }

  /** Gives back the leases this owner holds (a clean shutdown: another control plane takes over at once). */
  async releaseAll(owner: string): Promise<void> {
    await this.prisma.rollout.updateMany({ where: { leaseOwner: owner }, data: { leaseOwner: null, leaseExpiresAt: null } });
  }

  async addDevices(rolloutId: string, devices: ReadonlyArray<{ deviceId: string; profileClass: string; wave: number; artifactId: string | null }>, db: Db): Promise<number> {
    if (devices.length === 0) return 0;
    const { count } = await db.rolloutDevice.createMany({
      data: devices.map((d) => ({ rolloutId, ...d, state: d.artifactId ? 'planned' : 'left' })), skipDuplicates: true,
    });
    return count;
  }

  async devices(rolloutId: string, db: Db = this.prisma): Promise<RolloutDeviceRecord[]> {
    return db.rolloutDevice.findMany({ where: { rolloutId }, orderBy: [{ wave: 'asc' }, { createdAt: 'asc' }, { deviceId: 'asc' }] });
  }

  async knownDeviceIds(rolloutId: string, db: Db = this.prisma): Promise<Set<string>> {
    const rows = await db.rolloutDevice.findMany({ where: { rolloutId }, select: { deviceId: true } });
    return new Set(rows.map((r) => r.deviceId));
  }

  /** The next `count` planned devices of the wave, in the order they were planned. */
  async nextPlanned(rolloutId: string, wave: number, count: number, db: Db): Promise<RolloutDeviceRecord[]> {
    return db.rolloutDevice.findMany({ where: { rolloutId, wave, state: 'planned' }, orderBy: [{ createdAt: 'asc' }, { deviceId: 'asc' }], take: count });
  }

  async markNotified(rolloutId: string, rows: ReadonlyArray<{ deviceId: string; deploymentId: string; previousArtifactId: string | null }>, at: Date, db: Db): Promise<void> {
    // One statement per (deployment, previous model), not per device: a wave of 1,000 devices is a few statements.
    const groups = new Map<string, { deploymentId: string; previousArtifactId: string | null; deviceIds: string[] }>();
    for (const r of rows) {
      const key = `${r.deploymentId}|${r.previousArtifactId ?? ''}`;
      const g = groups.get(key) ?? { deploymentId: r.deploymentId, previousArtifactId: r.previousArtifactId, deviceIds: [] };
      g.deviceIds.push(r.deviceId);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      await db.rolloutDevice.updateMany({
        where: { rolloutId, deviceId: { in: g.deviceIds } },
        data: { state: 'notified', deploymentId: g.deploymentId, previousArtifactId: g.previousArtifactId, notifiedAt: at, publishedAt: null, attempts: { increment: 1 } },
      });
    }
  }

  /** A retry: the row moves to its new deployment; notifiedAt stays the first notification (pacing counts it once). */
  async markRetried(rolloutId: string, rows: ReadonlyArray<{ deviceId: string; deploymentId: string; failure: string; lastFailure: string }>, at: Date, db: Db): Promise<void> {
    for (const r of rows) {
      const current = await db.rolloutDevice.findUniqueOrThrow({ where: { rolloutId_deviceId: { rolloutId, deviceId: r.deviceId } }, select: { retries: true } });
      const retries = current.retries as Record<string, number>;
      await db.rolloutDevice.update({
        where: { rolloutId_deviceId: { rolloutId, deviceId: r.deviceId } },
        data: {
          deploymentId: r.deploymentId, retriedAt: at, publishedAt: null, attempts: { increment: 1 }, lastFailure: r.lastFailure.slice(0, 500),
          retries: json({ ...retries, [r.failure]: (retries[r.failure] ?? 0) + 1 }),
        },
      });
    }
  }

  async markPublished(rolloutId: string, deviceIds: readonly string[], field: 'publishedAt' | 'stagedPublishedAt' | 'rollbackPublishedAt', at: Date): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.prisma.rolloutDevice.updateMany({ where: { rolloutId, deviceId: { in: [...deviceIds] } }, data: { [field]: at } });
  }

  async markRollingBack(rolloutId: string, rows: ReadonlyArray<{ deviceId: string; deploymentId: string | null }>, at: Date, db: Db): Promise<void> {
    for (const r of rows) {
      await db.rolloutDevice.update({
        where: { rolloutId_deviceId: { rolloutId, deviceId: r.deviceId } },
        data: r.deploymentId
          ? { state: 'rolling_back', rollbackDeploymentId: r.deploymentId, rollbackNotifiedAt: at }
          : { state: 'rolled_back', rollbackNotifiedAt: at },
      });
    }
  }

  async setDeviceState(rolloutId: string, deviceIds: readonly string[], state: string, db: Db = this.prisma): Promise<void> {
    if (deviceIds.length === 0) return;
    await db.rolloutDevice.updateMany({ where: { rolloutId, deviceId: { in: [...deviceIds] } }, data: { state } });
  }

  async recordDecision(rolloutId: string, wave: number, d: Decision, actor: string, db: Db): Promise<RolloutDecisionRecord> {
    return db.rolloutDecision.create({ data: { rolloutId, wave, action: d.action, reason: d.reason, metrics: d.metrics ? json(d.metrics) : Prisma.JsonNull, actor } });
  }

  /** Devices retried since `since` (the retry decisions' counts): what the rate counts besides new notifications. */
  async retriedSince(rolloutId: string, since: Date, db: Db = this.prisma): Promise<number> {
    const rows = await db.rolloutDecision.findMany({ where: { rolloutId, action: 'retry', at: { gte: since } }, select: { metrics: true } });
    return rows.reduce((n, r) => {
      const m = r.metrics as { count?: number; devices?: unknown[] } | null;
      return n + (m?.count ?? m?.devices?.length ?? 0);
    }, 0);
  }

  async decisions(rolloutId: string, db: Db = this.prisma): Promise<RolloutDecisionRecord[]> {
    return db.rolloutDecision.findMany({ where: { rolloutId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
  }
}
