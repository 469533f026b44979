import { Inject, Injectable } from '@nestjs/common';
import { FleetTarget, Prisma, PrismaClient, TargetClassState } from '@edgefleet/db';
import type { Db } from '@edgefleet/platform';
import { isUniqueViolation, ConflictError, LeaseLostError } from '@edgefleet/platform';
import {
  AutopilotStatusName, PinRecord, ClassStateRecord, FleetBudget, FleetDistillSettings, TargetRecord, FleetSelector,
} from './autopilot.types';

export interface NewTarget {
  name: string;
  family: string;
  selector: FleetSelector;
  budget: FleetBudget;
  distill?: FleetDistillSettings;
  createdBy: string;
}

export interface StateChange {
  /** Absent: the status stays as it was (e.g. every device of the class is pinned). */
  status?: AutopilotStatusName;
  decision?: string | null;
  chosenArtifactId?: string | null;
  distillationJobId?: string | null;
  deploymentId?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
}

const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as Prisma.InputJsonObject;

const toTarget = (t: FleetTarget): TargetRecord => ({
  id: t.id, name: t.name, family: t.family, selector: t.selector as FleetSelector, budget: t.budget as unknown as FleetBudget,
  distill: (t.distill as FleetDistillSettings | null) ?? undefined, createdBy: t.createdBy, pausedAt: t.pausedAt, pausedBy: t.pausedBy,
  createdAt: t.createdAt, updatedAt: t.updatedAt,
});

const toState = (s: TargetClassState): ClassStateRecord => ({
  targetId: s.targetId, profileClass: s.profileClass, status: s.status, decision: s.decision, chosenArtifactId: s.chosenArtifactId,
  distillationJobId: s.distillationJobId, deploymentId: s.deploymentId, reason: s.reason, details: s.details, updatedAt: s.updatedAt,
});

/**
 * Fleet targets, their per-class state and the distillations claimed for them — the autopilot's own tables. What
 * it reads of the fleet (devices, deployments, jobs, reports) it asks the owning modules' services.
 */
@Injectable()
export class AutopilotRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async createTarget(t: NewTarget): Promise<TargetRecord> {
    try {
      return toTarget(await this.prisma.fleetTarget.create({
        data: { name: t.name, family: t.family, selector: plain(t.selector), budget: plain(t.budget), ...(t.distill ? { distill: plain(t.distill) } : {}), createdBy: t.createdBy },
      }));
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a target named ${JSON.stringify(t.name)} already exists`);
      throw err;
    }
  }

  async findTarget(id: string): Promise<TargetRecord | undefined> {
    const t = await this.prisma.fleetTarget.findUnique({ where: { id } });
    return t ? toTarget(t) : undefined;
  }

  async listTargets(page?: { limit: number; offset: number }): Promise<{ items: TargetRecord[]; total: number }> {
    const [items, total] = await Promise.all([
      this.prisma.fleetTarget.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], ...(page ? { take: page.limit, skip: page.offset } : {}) }),
      this.prisma.fleetTarget.count(),
    ]);
    return { items: items.map(toTarget), total };
  }

  /** Every target, oldest first (what the autopilot matches events against; a fleet has tens to hundreds). */
  async allTargets(): Promise<TargetRecord[]> {
    return (await this.prisma.fleetTarget.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map(toTarget);
  }

  /** Pauses (`by` set) or resumes (`by` null) the target; undefined when it does not exist. */
  async setPaused(id: string, by: string | null): Promise<TargetRecord | undefined> {
    const { count } = await this.prisma.fleetTarget.updateMany({ where: { id }, data: by ? { pausedAt: new Date(), pausedBy: by } : { pausedAt: null, pausedBy: null } });
    return count === 1 ? this.findTarget(id) : undefined;
  }

  /** Pins the device (or updates its pin's reason); false when the device does not exist. */
  async pin(deviceId: string, pinnedBy: string, reason: string | null): Promise<PinRecord | undefined> {
    try {
      return await this.prisma.autopilotPin.upsert({ where: { deviceId }, create: { deviceId, pinnedBy, reason }, update: { pinnedBy, reason } });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'P2003') return undefined; // no such device (foreign key)
      throw err;
    }
  }

  async unpin(deviceId: string): Promise<boolean> {
    return (await this.prisma.autopilotPin.deleteMany({ where: { deviceId } })).count === 1;
  }

  async listPins(page: { limit: number; offset: number }): Promise<{ items: PinRecord[]; total: number }> {
    const [items, total] = await Promise.all([
      this.prisma.autopilotPin.findMany({ orderBy: [{ createdAt: 'asc' }, { deviceId: 'asc' }], take: page.limit, skip: page.offset }),
      this.prisma.autopilotPin.count(),
    ]);
    return { items, total };
  }

  /** Which of these devices are pinned (one query). */
  async pinnedAmong(deviceIds: readonly string[]): Promise<Set<string>> {
    if (deviceIds.length === 0) return new Set();
    const rows = await this.prisma.autopilotPin.findMany({ where: { deviceId: { in: [...deviceIds] } }, select: { deviceId: true } });
    return new Set(rows.map((r) => r.deviceId));
  }

  /**
   * Targets that use this model (a class state chose it, or it is the teacher of their distillations) or this data
   * set (their distillations train on it), as `target <name>` lines.
   */
  async targetsUsing(use: { artifactId: string } | { datasetId: string }, db: Db = this.prisma): Promise<string[]> {
    const where: Prisma.FleetTargetWhereInput = 'artifactId' in use
      ? { OR: [{ classes: { some: { chosenArtifactId: use.artifactId } } }, { distill: { path: ['teacherArtifactId'], equals: use.artifactId } }] }
      : { distill: { path: ['datasetId'], equals: use.datasetId } };
    const rows = await db.fleetTarget.findMany({ where, select: { name: true }, orderBy: { name: 'asc' } });
    return rows.map((r) => `target ${r.name}`);
  }

  async deleteTarget(id: string): Promise<boolean> {
    const { count } = await this.prisma.fleetTarget.deleteMany({ where: { id } });
    return count === 1;
  }

  async listStates(targetId: string): Promise<ClassStateRecord[]> {
    const rows = await this.prisma.targetClassState.findMany({ where: { targetId }, orderBy: { createdAt: 'asc' } });
    return rows.map(toState);
  }

  /** Pairs waiting on something outside the reconcile (a job, devices installing). */
  async listWaiting(): Promise<Array<{ targetId: string; profileClass: string; status: AutopilotStatusName; distillationJobId: string | null; deploymentId: string | null; updatedAt: Date }>> {
    return this.prisma.targetClassState.findMany({
      where: { status: { in: ['distilling', 'deploying'] } },
      select: { targetId: true, profileClass: true, status: true, distillationJobId: true, deploymentId: true, updatedAt: true },
    });
  }

  /** The students claimed for the pair, oldest first, with the job each was queued as (null: could not be queued). */
  async distillations(targetId: string, profileClass: string): Promise<Array<{ student: string; jobId: string | null; createdAt: Date }>> {
    return this.prisma.targetDistillation.findMany({ where: { targetId, profileClass }, orderBy: { createdAt: 'asc' }, select: { student: true, jobId: true, createdAt: true } });
  }

  /**
   * Claims the right to queue this student for the pair; false when it was claimed before (by anyone). Fenced by
   * the pair's lease (holdLease): a target deleted or a lease taken over meanwhile throws LeaseLostError.
   */
  async claimDistillation(targetId: string, profileClass: string, student: string, owner: string): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      await this.holdLease(targetId, profileClass, owner, tx);
      const { count } = await tx.targetDistillation.createMany({ data: [{ targetId, profileClass, student }], skipDuplicates: true });
      return count === 1;
    });
  }

  async setDistillationJob(targetId: string, profileClass: string, student: string, jobId: string): Promise<void> {
    await this.prisma.targetDistillation.update({ where: { targetId_profileClass_student: { targetId, profileClass, student } }, data: { jobId } });
  }

  /**
   * Takes the pair's lease (creating its state row on first sight). Atomic in the database — the row lock of
   * the UPDATE decides between control planes — and judged by the database's clock, so their clocks need not
   * agree. False when another reconcile holds an unexpired lease.
   */
  async acquire(targetId: string, profileClass: string, owner: string, leaseMs: number, db: Db = this.prisma): Promise<boolean> {
    // One statement: the row is created on first sight, else its lease taken if free (or already ours).
    const n = await db.$executeRaw`
      INSERT INTO "TargetClassState" ("id", "targetId", "profileClass", "leaseOwner", "leaseExpiresAt", "updatedAt")
      VALUES (gen_random_uuid()::text, ${targetId}, ${profileClass}, ${owner}, now() + (${leaseMs} * interval '1 millisecond'), now())
      ON CONFLICT ("targetId", "profileClass") DO UPDATE SET "leaseOwner" = EXCLUDED."leaseOwner", "leaseExpiresAt" = EXCLUDED."leaseExpiresAt"
      WHERE "TargetClassState"."leaseExpiresAt" IS NULL OR "TargetClassState"."leaseExpiresAt" < now() OR "TargetClassState"."leaseOwner" = ${owner}`;
    return n === 1;
  }

  /**
   * Inside a transaction that acts for the pair: locks the target's row while it is not paused, then the pair's
   * row while the lease is still ours. A pause or delete of the target, or another control plane's acquire of the
   * pair, that comes later waits for the transaction; one that came first makes this throw (TargetPausedError,
   * LeaseLostError) and the transaction writes nothing.
   */
  async holdLease(targetId: string, profileClass: string, owner: string, tx: Db): Promise<void> {
    // UPDATEs that change no value (Prisma bumps updatedAt): what they are for is the row locks they hold until commit.
    const live = await tx.fleetTarget.updateMany({ where: { id: targetId, pausedAt: null }, data: { pausedAt: null } });
    if (live.count === 0) {
      if ((await tx.fleetTarget.count({ where: { id: targetId } })) === 1) throw new TargetPausedError(targetId);
      throw new LeaseLostError(`target ${targetId} (deleted)`);
    }
    const { count } = await tx.targetClassState.updateMany({ where: { targetId, profileClass, leaseOwner: owner }, data: { leaseOwner: owner } });
    if (count === 0) throw new LeaseLostError(`target ${targetId} / class ${profileClass.slice(0, 8)} (taken over by another control plane)`);
  }

  /** Writes the outcome and gives the lease back (only if still ours). */
  async release(targetId: string, profileClass: string, owner: string, change?: StateChange): Promise<void> {
    await this.prisma.targetClassState.updateMany({
      where: { targetId, profileClass, leaseOwner: owner },
      data: {
        leaseOwner: null, leaseExpiresAt: null,
        ...(change ? {
          ...(change.status !== undefined ? { status: change.status } : {}),
          ...(change.decision !== undefined ? { decision: change.decision } : {}),
          ...(change.chosenArtifactId !== undefined ? { chosenArtifactId: change.chosenArtifactId } : {}),
          ...(change.distillationJobId !== undefined ? { distillationJobId: change.distillationJobId } : {}),
          ...(change.deploymentId !== undefined ? { deploymentId: change.deploymentId } : {}),
          ...(change.reason !== undefined ? { reason: change.reason } : {}),
          ...(change.details ? { details: plain(change.details) } : {}),
        } : {}),
      },
    });
  }


}

/** An operator paused the target while a reconcile was deciding: it acts on nothing (holdLease). */
export class TargetPausedError extends ConflictError {
  constructor(targetId: string) {
    super(`target ${targetId} is paused`);
  }
}
