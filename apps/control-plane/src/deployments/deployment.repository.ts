import { Inject, Injectable } from '@nestjs/common';
import { Prisma, PrismaClient } from '@edgefleet/db';
import type { Db } from '@edgefleet/platform';
import { readPage } from '@edgefleet/platform';
import { DeploymentStatusName, DeviceState, UNFINISHED_STATES, WATCHED_STATES } from './deployment-state';

export interface GateMiss { gate: string; limit: number; measured?: number }

export interface ClassOutcomes {
  passed: string[];
  refusals: Array<{ artifactId: string; deploymentId: string; state: 'rejected' | 'failed'; failedGates: GateMiss[] }>;
}

/** The failed gates of a stored report (its details are the device's ReportMessage). */
function failedGates(details: unknown): GateMiss[] {
  const gates = (details as { gateResults?: unknown } | null | undefined)?.gateResults;
  if (!Array.isArray(gates)) return [];
  return gates.filter((g): g is GateMiss & { passed: boolean } => typeof g === 'object' && g !== null && (g as { passed?: unknown }).passed === false)
    .map((g) => ({ gate: String(g.gate), limit: Number(g.limit), ...(typeof g.measured === 'number' ? { measured: g.measured } : {}) }));
}

const withArtifact = { artifact: true } as const;
const withDevicesAndReports = {
  artifact: true,
  devices: { include: { report: true }, orderBy: { deviceId: 'asc' } },
} as const satisfies Prisma.DeploymentInclude;

export type DeploymentWithArtifact = Prisma.DeploymentGetPayload<{ include: typeof withArtifact }>;
export type DeploymentDetail = Prisma.DeploymentGetPayload<{ include: typeof withDevicesAndReports }>;
export type DeploymentDeviceRow = Prisma.DeploymentDeviceGetPayload<{ include: { deployment: { include: typeof withArtifact } } }>;

export interface NewDeployment {
  artifactId: string;
  gates: Record<string, number>;
  target: { deviceIds?: string[]; tags?: string[]; rolloutId?: string };
  createdBy: string;
  deviceIds: string[];
  totalBlocks: number;
  /** Set for the deployments a rollout makes (schema: Deployment.purpose). */
  rollout?: { rolloutId: string; wave: number; purpose: RolloutPurpose; attempt?: number; stage?: boolean };
}

/** Why a rollout made a deployment: a wave, the retry of a wave's failed devices, or giving devices their previous model back. */
export type RolloutPurpose = 'wave' | 'retry' | 'rollback';

/** A device's row in a deployment, as a rollout judges it. */
export interface RowOutcome {
  deploymentId: string;
  deviceId: string;
  state: DeviceState;
  updatedAt: Date;
  /** What the device reported when it failed (download, verify, load). */
  error: string | null;
  report: { passed: boolean; latencyP50Ms: number | null; latencyP95Ms: number | null; accuracy: number | null } | null;
}

export interface DeviceRowChanges {
  state?: DeviceState;
  receivedBlocks?: number;
  totalBlocks?: number;
  error?: string | null;
  reportId?: string;
}

@Injectable()
export class DeploymentRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /** sha256 of every model and eval set that an unfinished deployment of this device delivers (the block server's allow-list). */
  async fetchableObjects(deviceId: string): Promise<Set<string>> {
    const rows = await this.prisma.deploymentDevice.findMany({
      where: { deviceId, state: { in: [...UNFINISHED_STATES] } },
      select: { deployment: { select: { artifact: { select: { sha256: true, evalSetSha256: true } } } } },
    });
    const out = new Set<string>();
    for (const r of rows) {
      out.add(r.deployment.artifact.sha256);
      if (r.deployment.artifact.evalSetSha256) out.add(r.deployment.artifact.evalSetSha256);
    }
    return out;
  }

  async create(d: NewDeployment, db: Db): Promise<DeploymentWithArtifact> {
    const deployment = await db.deployment.create({
      data: {
        artifactId: d.artifactId, gates: d.gates, target: d.target as Prisma.InputJsonObject, createdBy: d.createdBy,
        ...(d.rollout ? { rolloutId: d.rollout.rolloutId, wave: d.rollout.wave, purpose: d.rollout.purpose, attempt: d.rollout.attempt ?? 1, stage: d.rollout.stage ?? false } : {}),
      },
      include: withArtifact,
    });
    await this.addDevices(deployment.id, d.deviceIds, d.totalBlocks, db);
    return deployment;
  }

  /** Adds devices (as pending rows) to a deployment; rows it already has stay as they are. */
  async addDevices(deploymentId: string, deviceIds: readonly string[], totalBlocks: number, db: Db): Promise<void> {
    if (deviceIds.length === 0) return;
    await db.deploymentDevice.createMany({ data: deviceIds.map((deviceId) => ({ deploymentId, deviceId, totalBlocks })), skipDuplicates: true });
  }

  /** The rollout's deployment for this wave, purpose, artifact and attempt, if it was made already. */
  async findForRollout(rolloutId: string, wave: number, purpose: RolloutPurpose, artifactId: string, attempt: number, db: Db): Promise<DeploymentWithArtifact | undefined> {
    return (await db.deployment.findFirst({ where: { rolloutId, wave, purpose, artifactId, attempt }, include: withArtifact, orderBy: { createdAt: 'asc' } })) ?? undefined;
  }

  /** Every deployment a rollout made (waves, retries, rollbacks), oldest first. */
  async idsForRollout(rolloutId: string): Promise<string[]> {
    const rows = await this.prisma.deployment.findMany({ where: { rolloutId }, select: { id: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return rows.map((r) => r.id);
  }

  /** Stage mode's switch: these deployments' desired states no longer carry `stage`. */
  async endStage(ids: readonly string[], db: Db): Promise<void> {
    if (ids.length > 0) await db.deployment.updateMany({ where: { id: { in: [...ids] } }, data: { stage: false } });
  }

  async findWithArtifact(id: string, db: Db = this.prisma): Promise<DeploymentWithArtifact | undefined> {
    return (await db.deployment.findUnique({ where: { id }, include: withArtifact })) ?? undefined;
  }

  /** The rows of these deployments with their reports' measurements (one query). */
  async rowOutcomes(deploymentIds: readonly string[], db: Db = this.prisma): Promise<RowOutcome[]> {
    if (deploymentIds.length === 0) return [];
    return db.deploymentDevice.findMany({
      where: { deploymentId: { in: [...new Set(deploymentIds)] } },
      select: { deploymentId: true, deviceId: true, state: true, updatedAt: true, error: true, report: { select: { passed: true, latencyP50Ms: true, latencyP95Ms: true, accuracy: true } } },
    });
  }

  /**
   * Marks the unfinished rows of these devices in other deployments superseded; returns the deployments
   * touched, whose status must then be rolled up again.
   */
  async supersedeUnfinished(deviceIds: string[], exceptDeploymentId: string, db: Db): Promise<string[]> {
    const where: Prisma.DeploymentDeviceWhereInput = {
      deviceId: { in: deviceIds },
      deploymentId: { not: exceptDeploymentId },
      state: { in: [...UNFINISHED_STATES] },
    };
    const touched = await db.deploymentDevice.findMany({ where, select: { deploymentId: true }, distinct: ['deploymentId'] });
    if (touched.length > 0) await db.deploymentDevice.updateMany({ where, data: { state: 'superseded' } });
    return touched.map((t) => t.deploymentId);
  }

  async findDeviceRow(deploymentId: string, deviceId: string, db: Db = this.prisma): Promise<DeploymentDeviceRow | undefined> {
    const row = await db.deploymentDevice.findUnique({
      where: { deploymentId_deviceId: { deploymentId, deviceId } },
      include: { deployment: { include: withArtifact } },
    });
    return row ?? undefined;
  }

  async updateDeviceRow(id: string, changes: DeviceRowChanges, db: Db): Promise<void> {
    await db.deploymentDevice.update({ where: { id }, data: changes });
  }

  /**
   * Row lock on the deployment. Writers that will roll the deployment up take it FIRST in their transaction: a
   * BenchmarkReport insert holds a KEY SHARE lock on the deployment (its foreign key), and two transactions that
   * both hold KEY SHARE and then both ask for FOR UPDATE deadlock.
   */
  async lock(deploymentId: string, db: Db): Promise<void> {
    await db.$executeRaw`SELECT 1 FROM "Deployment" WHERE id = ${deploymentId} FOR UPDATE`;
  }

  /**
   * Row lock on one device's row of a deployment (none when there is no such row). Taken after the deployment's
   * lock by writers that hold both: progress and reports of a device are applied one after the other, each seeing
   * the state the previous one committed, so a late progress never overwrites a report.
   */
  async lockDeviceRow(deploymentId: string, deviceId: string, db: Db): Promise<void> {
    await db.$executeRaw`SELECT 1 FROM "DeploymentDevice" WHERE "deploymentId" = ${deploymentId} AND "deviceId" = ${deviceId} FOR UPDATE`;
  }

  /** Unfinished rows whose state has not changed since that state's cutoff (stalled devices). */
  async stalledRows(cutoffs: Record<(typeof WATCHED_STATES)[number], Date>, limit: number): Promise<Array<{ deploymentId: string; deviceId: string; state: DeviceState; updatedAt: Date }>> {
    return this.prisma.deploymentDevice.findMany({
      where: { OR: WATCHED_STATES.map((state) => ({ state, updatedAt: { lt: cutoffs[state] } })) },
      select: { deploymentId: true, deviceId: true, state: true, updatedAt: true },
      orderBy: { updatedAt: 'asc' },
      take: limit,
    });
  }

  /**
   * Status and the device states that decide its roll-up, read under a row lock so concurrent reports roll up one
   * after the other (all states, or — while in progress — one unfinished state, which alone decides).
   */
  async lockForRollUp(deploymentId: string, db: Db): Promise<{ status: DeploymentStatusName; states: DeviceState[] }> {
    await this.lock(deploymentId, db);
    const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, select: { status: true } });
    // While the deployment is in progress and one row is still unfinished, that one row decides the roll-up
    // (rollUpStatus: any unfinished row → in_progress): one probe instead of reading every row on every report,
    // which made a rollout's reports cost O(devices²) rows.
    if (deployment.status === 'in_progress') {
      const open = await db.deploymentDevice.findFirst({ where: { deploymentId, state: { in: [...UNFINISHED_STATES] } }, select: { state: true } });
      if (open) return { status: deployment.status, states: [open.state] };
    }
    const rows = await db.deploymentDevice.findMany({ where: { deploymentId }, select: { state: true } });
    return { status: deployment.status, states: rows.map((r) => r.state) };
  }

  async setStatus(deploymentId: string, status: DeploymentStatusName, db: Db): Promise<void> {
    await db.deployment.update({ where: { id: deploymentId }, data: { status } });
  }

  /**
   * The deployment with its rows and reports as of one moment: Prisma reads the relations in separate queries, so
   * they run in one repeatable-read transaction — otherwise a report committed between them shows a finished row
   * under a status that is still `in_progress`.
   */
  /** Deployment rows per state: the deployment gauges of /metrics. */
  async countDeviceStates(): Promise<Array<{ state: string; count: number }>> {
    const rows = await this.prisma.deploymentDevice.groupBy({ by: ['state'], _count: { _all: true }, orderBy: { state: 'asc' } });
    return rows.map((r) => ({ state: r.state, count: r._count._all }));
  }

  async find(id: string): Promise<DeploymentDetail | undefined> {
    const d = await this.prisma.$transaction(
      (tx) => tx.deployment.findUnique({ where: { id }, include: withDevicesAndReports }),
      { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
    );
    return d ?? undefined;
  }

  /** A page of deployments with their devices counted per state: two queries (three past the first page), not N rows each. */
  async list(filter: { status?: DeploymentStatusName }, page: { limit: number; offset: number }) {
    const where: Prisma.DeploymentWhereInput = filter.status ? { status: filter.status } : {};
    const { items, total } = await readPage(
      page,
      (take) => this.prisma.deployment.findMany({ where, include: withArtifact, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take, skip: page.offset }),
      () => this.prisma.deployment.count({ where }),
    );
    const counts = new Map<string, Partial<Record<DeviceState, number>>>(items.map((d) => [d.id, {}]));
    if (items.length > 0) {
      const groups = await this.prisma.deploymentDevice.groupBy({
        by: ['deploymentId', 'state'],
        where: { deploymentId: { in: items.map((d) => d.id) } },
        _count: { _all: true },
      });
      for (const g of groups) counts.get(g.deploymentId)![g.state] = g._count._all;
    }
    return { items: items.map((d) => ({ ...d, counts: counts.get(d.id)! })), total };
  }

  /** Status of each deployment, in one query (unknown ids are absent). */
  async statuses(ids: readonly string[]): Promise<Map<string, DeploymentStatusName>> {
    if (ids.length === 0) return new Map();
    const rows = await this.prisma.deployment.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, status: true } });
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  /** Artifacts of the devices' unfinished deployment rows, per device, in one query. */
  async unfinishedArtifacts(deviceIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (deviceIds.length === 0) return out;
    const rows = await this.prisma.deploymentDevice.findMany({
      where: { deviceId: { in: [...deviceIds] }, state: { in: [...UNFINISHED_STATES] } },
      select: { deviceId: true, deployment: { select: { artifactId: true } } },
    });
    for (const r of rows) out.set(r.deviceId, [...(out.get(r.deviceId) ?? []), r.deployment.artifactId]);
    return out;
  }

  /**
   * What devices of a class made of the deployments `createdBy` made: the artifacts they activated, and every
   * refusal (rejected or failed row) with its deployment and the gates its report failed (none: it could not run).
   */
  async classOutcomes(createdBy: string, profileClass: string): Promise<ClassOutcomes> {
    const rows = await this.prisma.deploymentDevice.findMany({
      where: { state: { in: ['active', 'rejected', 'failed'] }, device: { profileClass }, deployment: { createdBy } },
      select: { state: true, deploymentId: true, deployment: { select: { artifactId: true } }, report: { select: { details: true } } },
    });
    const passed = [...new Set(rows.filter((r) => r.state === 'active').map((r) => r.deployment.artifactId))];
    const refusals = rows.filter((r) => r.state !== 'active').map((r) => ({
      artifactId: r.deployment.artifactId, deploymentId: r.deploymentId, state: r.state as 'rejected' | 'failed', failedGates: failedGates(r.report?.details),
    }));
    return { passed, refusals };
  }

  /** The device's newest deployment it has not finished, if any (for re-sending desired state). */
  /** Devices with an unfinished deployment row: their desired states are open and must stay fresh. */
  async devicesWithOpenDesiredState(): Promise<string[]> {
    const rows = await this.prisma.deploymentDevice.findMany({ where: { state: { in: [...UNFINISHED_STATES] } }, select: { deviceId: true }, distinct: ['deviceId'] });
    return rows.map((r) => r.deviceId);
  }

  async newestUnfinishedFor(deviceId: string): Promise<DeploymentWithArtifact | undefined> {
    const row = await this.prisma.deploymentDevice.findFirst({
      where: { deviceId, state: { in: [...UNFINISHED_STATES] } },
      orderBy: { createdAt: 'desc' },
      include: { deployment: { include: withArtifact } },
    });
    return row?.deployment;
  }
}
