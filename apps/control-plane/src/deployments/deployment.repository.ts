import { Inject, Injectable } from '@nestjs/common';
import { Prisma, PrismaClient } from '@edgefleet/db';
import type { Db } from '@edgefleet/platform';
import { readPage, ReadCache } from '@edgefleet/platform';
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

/** What the cached reads (list, find) read: the relations of withDevicesAndReports included. */
const DEPLOYMENT_TABLES = ['Deployment', 'DeploymentDevice', 'ModelArtifact', 'BenchmarkReport'] as const;

export type DeploymentWithArtifact = Prisma.DeploymentGetPayload<{ include: typeof withArtifact }>;
export type DeploymentDetail = Prisma.DeploymentGetPayload<{ include: typeof withDevicesAndReports }>;
export type DeploymentDeviceRow = Prisma.DeploymentDeviceGetPayload<{ include: { deployment: { include: typeof withArtifact } } }>;

export interface NewDeployment {
  artifactId: string;
  gates: Record<string, number>;
  /** As requested; `cancelOf`: the deployment whose cancel made this one (devices going back to their previous model). */
  target: { deviceIds?: string[]; tags?: string[]; rolloutId?: string; cancelOf?: string };
  createdBy: string;
  deviceIds: string[];
  totalBlocks: number;
  /** Each device's active model now (where cancelling sends it back); absent ids ran none. */
  previous?: ReadonlyMap<string, string | null>;
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

/** A device's row as read under its lock: what progress and reports decide on (no joins). */
export interface LockedDeviceRow {
  id: string;
  deploymentId: string;
  deviceId: string;
  state: DeviceState;
  receivedBlocks: number;
  totalBlocks: number;
  reportId: string | null;
}

/** What a deployment delivers; never changes for a deployment (artifacts are content addressed). */
export interface DeliveredArtifact {
  id: string;
  sha256: string;
  evalSetSha256: string | null;
}

/** A row finished by its device's report. */
export interface FinishedDeviceRow {
  id: string;
  state: DeviceState;
  reportId: string;
  error: string | null;
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
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient, private readonly cache: ReadCache) {}

  /**
   * Per device, the sha256 of every model and eval set an unfinished deployment of it delivers (the block server's
   * allow-list), in one query; every device asked gets a set, maybe empty.
   */
  async fetchableObjectsOf(deviceIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map(deviceIds.map((id) => [id, new Set<string>()]));
    const rows = await this.prisma.deploymentDevice.findMany({
      where: { deviceId: { in: [...out.keys()] }, state: { in: [...UNFINISHED_STATES] } },
      select: { deviceId: true, deployment: { select: { artifact: { select: { sha256: true, evalSetSha256: true } } } } },
    });
    for (const r of rows) {
      const set = out.get(r.deviceId)!;
      set.add(r.deployment.artifact.sha256);
      if (r.deployment.artifact.evalSetSha256) set.add(r.deployment.artifact.evalSetSha256);
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
    await this.addDevices(deployment.id, d.deviceIds, d.totalBlocks, db, d.previous);
    return deployment;
  }

  /** Adds devices (as pending rows, each with the model it runs now) to a deployment; rows it already has stay as they are. */
  async addDevices(deploymentId: string, deviceIds: readonly string[], totalBlocks: number, db: Db, previous?: ReadonlyMap<string, string | null>): Promise<void> {
    if (deviceIds.length === 0) return;
    await db.deploymentDevice.createMany({
      data: deviceIds.map((deviceId) => ({ deploymentId, deviceId, totalBlocks, previousArtifactId: previous?.get(deviceId) ?? null })),
      skipDuplicates: true,
    });
  }

  /** Deployments of this artifact still in progress (the first `take` ids). */
  async inProgressWithArtifact(artifactId: string, take = 20, db: Db = this.prisma): Promise<string[]> {
    const rows = await db.deployment.findMany({ where: { artifactId, status: 'in_progress' }, select: { id: true }, orderBy: { createdAt: 'asc' }, take });
    return rows.map((r) => r.id);
  }

  /** Deletes the finished deployments of this artifact (their rows go with them); returns how many. */
  async deleteFinishedWithArtifact(artifactId: string, db: Db): Promise<number> {
    return (await db.deployment.deleteMany({ where: { artifactId, status: { not: 'in_progress' } } })).count;
  }

  /** Every row of the deployment with the model its device ran before (what a cancel needs). */
  async rowsWithPrevious(deploymentId: string, db: Db): Promise<Array<{ deviceId: string; state: DeviceState; previousArtifactId: string | null }>> {
    return db.deploymentDevice.findMany({ where: { deploymentId }, select: { deviceId: true, state: true, previousArtifactId: true }, orderBy: { deviceId: 'asc' } });
  }

  /** Marks these unfinished rows of the deployment superseded, with the reason. */
  async stopRows(deploymentId: string, deviceIds: readonly string[], error: string, db: Db): Promise<void> {
    if (deviceIds.length === 0) return;
    await db.deploymentDevice.updateMany({ where: { deploymentId, deviceId: { in: [...deviceIds] }, state: { in: [...UNFINISHED_STATES] } }, data: { state: 'superseded', error } });
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
   * both hold KEY SHARE and then both ask for FOR UPDATE deadlock. Returns the status read under the lock
   * (undefined: no such deployment), which stays true until the transaction ends.
   */
  async lock(deploymentId: string, db: Db): Promise<DeploymentStatusName | undefined> {
    const rows = await db.$queryRaw<Array<{ status: DeploymentStatusName }>>`SELECT status::text AS status FROM "Deployment" WHERE id = ${deploymentId} FOR UPDATE`;
    return rows[0]?.status;
  }

  /** `lock` for several deployments, in id order (so two batches never wait on each other in a circle): status by id. */
  async lockMany(deploymentIds: readonly string[], db: Db): Promise<Map<string, DeploymentStatusName>> {
    const ids = [...new Set(deploymentIds)];
    if (ids.length === 0) return new Map();
    const rows = await db.$queryRaw<Array<{ id: string; status: DeploymentStatusName }>>`
      SELECT id, status::text AS status FROM "Deployment" WHERE id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE`;
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  /**
   * Locks (FOR UPDATE, in id order) and reads the rows of these (deployment, device) pairs in one statement; pairs
   * without a row are absent from the answer. Replaces lockDeviceRow + findDeviceRow on the per-message path.
   */
  async lockDeviceRows(keys: ReadonlyArray<{ deploymentId: string; deviceId: string }>, db: Db): Promise<LockedDeviceRow[]> {
    if (keys.length === 0) return [];
    return db.$queryRaw<LockedDeviceRow[]>`
      SELECT id, "deploymentId", "deviceId", state::text AS state, "receivedBlocks", "totalBlocks", "reportId" FROM "DeploymentDevice"
      WHERE ("deploymentId", "deviceId") IN (SELECT * FROM unnest(${keys.map((k) => k.deploymentId)}::text[], ${keys.map((k) => k.deviceId)}::text[]))
      ORDER BY id FOR UPDATE`;
  }

  /** Sets state and block counts of many rows in one statement (updatedAt too: the stall watcher reads it). */
  async updateDeviceRows(rows: ReadonlyArray<{ id: string; state: DeviceState; receivedBlocks: number; totalBlocks: number }>, db: Db): Promise<void> {
    if (rows.length === 0) return;
    await db.$executeRaw`
      UPDATE "DeploymentDevice" AS d
      SET state = v.state::"DeploymentDeviceState", "receivedBlocks" = v.received, "totalBlocks" = v.total, "updatedAt" = now() AT TIME ZONE 'UTC'
      FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.state)}::text[], ${rows.map((r) => r.receivedBlocks)}::int[], ${rows.map((r) => r.totalBlocks)}::int[])
        AS v(id, state, received, total)
      WHERE d.id = v.id`;
  }

  /** Links each row to its report and sets its final state and error, in one statement. */
  async finishDeviceRows(rows: readonly FinishedDeviceRow[], db: Db): Promise<void> {
    if (rows.length === 0) return;
    await db.$executeRaw`
      UPDATE "DeploymentDevice" AS d
      SET state = v.state::"DeploymentDeviceState", "reportId" = v.report, error = v.error, "updatedAt" = now() AT TIME ZONE 'UTC'
      FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.state)}::text[], ${rows.map((r) => r.reportId)}::text[], ${rows.map((r) => r.error)}::text[])
        AS v(id, state, report, error)
      WHERE d.id = v.id`;
  }

  /** The artifact each of these deployments delivers (unknown ids are absent). */
  async deliveredArtifacts(deploymentIds: readonly string[], db: Db = this.prisma): Promise<Map<string, DeliveredArtifact>> {
    if (deploymentIds.length === 0) return new Map();
    const rows = await db.deployment.findMany({
      where: { id: { in: [...new Set(deploymentIds)] } },
      select: { id: true, artifact: { select: { id: true, sha256: true, evalSetSha256: true } } },
    });
    return new Map(rows.map((r) => [r.id, r.artifact]));
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
  async lockForRollUp(deploymentId: string, db: Db, lockedStatus?: DeploymentStatusName): Promise<{ status: DeploymentStatusName; states: DeviceState[] }> {
    const deployment = { status: lockedStatus ?? (await this.lock(deploymentId, db)) };
    if (deployment.status === undefined) throw new Error(`deployment ${deploymentId} vanished while rolling it up`);
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
  /** From the read cache until a deployment row changes (`/metrics` reads it on every scrape; shared: do not mutate). */
  countDeviceStates(): Promise<Array<{ state: string; count: number }>> {
    return this.cache.read(['DeploymentDevice'], 'deployment-devices:count-by-state', async () => {
      const rows = await this.prisma.deploymentDevice.groupBy({ by: ['state'], _count: { _all: true }, orderBy: { state: 'asc' } });
      return rows.map((r) => ({ state: r.state, count: r._count._all }));
    });
  }

  /** From the read cache until one of its tables changes (shared: do not mutate). */
  find(id: string): Promise<DeploymentDetail | undefined> {
    return this.cache.read(DEPLOYMENT_TABLES, `deployment:${id}`, async () => {
      const d = await this.prisma.$transaction(
        (tx) => tx.deployment.findUnique({ where: { id }, include: withDevicesAndReports }),
        { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
      );
      return d ?? undefined;
    });
  }

  /** A page of deployments with their devices counted per state: two queries (three past the first page), not N rows each. */
  list(filter: { status?: DeploymentStatusName }, page: { limit: number; offset: number }) {
    return this.cache.read(DEPLOYMENT_TABLES, `deployments:${JSON.stringify([filter.status, page.limit, page.offset])}`, () => this.readList(filter, page));
  }

  private async readList(filter: { status?: DeploymentStatusName }, page: { limit: number; offset: number }) {
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
