import { Inject, Injectable } from '@nestjs/common';
import { FleetTarget, Prisma, PrismaClient, TargetClassState } from '@edgefleet/db';
import type { Db } from '../db/prisma-types';
import { isUniqueViolation } from '../db/prisma-types';
import { ConflictError } from '../common/errors';
import {
  autopilotActor, AutopilotStatusName, ClassStateRecord, FleetBudget, FleetDistillSettings, TargetRecord, FleetSelector,
} from './autopilot.types';
import type { PlanDevice, PlanDistillation } from './autopilot.planner';

export interface NewTarget {
  name: string;
  family: string;
  selector: FleetSelector;
  budget: FleetBudget;
  distill?: FleetDistillSettings;
  createdBy: string;
}

export interface StateChange {
  status: AutopilotStatusName;
  decision?: string | null;
  chosenArtifactId?: string | null;
  distillationJobId?: string | null;
  deploymentId?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
}

const UNFINISHED = ['pending', 'downloading', 'verifying', 'benchmarking'] as const;
const REFUSED = ['rejected', 'failed'] as const;

const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as Prisma.InputJsonObject;

const toTarget = (t: FleetTarget): TargetRecord => ({
  id: t.id, name: t.name, family: t.family, selector: t.selector as FleetSelector, budget: t.budget as unknown as FleetBudget,
  distill: (t.distill as FleetDistillSettings | null) ?? undefined, createdBy: t.createdBy, createdAt: t.createdAt, updatedAt: t.updatedAt,
});

const toState = (s: TargetClassState): ClassStateRecord => ({
  targetId: s.targetId, profileClass: s.profileClass, status: s.status, decision: s.decision, chosenArtifactId: s.chosenArtifactId,
  distillationJobId: s.distillationJobId, deploymentId: s.deploymentId, reason: s.reason, details: s.details, updatedAt: s.updatedAt,
});

/** Fleet targets, their per-class state and distillations, and the fleet facts a reconcile reads. */
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

  /** Device classes present among the target's devices. */
  async classesOf(selector: FleetSelector): Promise<string[]> {
    const rows = await this.prisma.device.findMany({ where: this.deviceWhere(selector), distinct: ['profileClass'], select: { profileClass: true } });
    return rows.map((r) => r.profileClass);
  }

  /** The device's class and tags (undefined for an unknown device). */
  async device(id: string): Promise<{ profileClass: string; tags: string[] } | undefined> {
    return (await this.prisma.device.findUnique({ where: { id }, select: { profileClass: true, tags: true } })) ?? undefined;
  }

  /** The target's devices of one class, with what each runs and installs. */
  async devicesOf(selector: FleetSelector, profileClass: string): Promise<PlanDevice[]> {
    const rows = await this.prisma.device.findMany({
      where: { ...this.deviceWhere(selector), profileClass },
      orderBy: { id: 'asc' },
      select: {
        id: true, activeArtifactId: true,
        deployments: { where: { state: { in: [...UNFINISHED] } }, select: { deployment: { select: { artifactId: true } } } },
      },
    });
    return rows.map((d) => ({ id: d.id, activeArtifactId: d.activeArtifactId, unfinishedArtifactIds: d.deployments.map((x) => x.deployment.artifactId) }));
  }

  /** Artifacts that devices of this class rejected or could not run in deployments this target's autopilot made. */
  async rejectedArtifacts(targetId: string, profileClass: string): Promise<string[]> {
    const rows = await this.prisma.deploymentDevice.findMany({
      where: { state: { in: [...REFUSED] }, device: { profileClass }, deployment: { createdBy: autopilotActor(targetId) } },
      select: { deployment: { select: { artifactId: true } } },
    });
    return [...new Set(rows.map((r) => r.deployment.artifactId))];
  }

  /** Variants this target's deployments activated on devices of the class (they passed its gates there). */
  async passedArtifacts(targetId: string, profileClass: string): Promise<string[]> {
    const rows = await this.prisma.deploymentDevice.findMany({
      where: { state: 'active', device: { profileClass }, deployment: { createdBy: autopilotActor(targetId) } },
      select: { deployment: { select: { artifactId: true } } },
    });
    return [...new Set(rows.map((r) => r.deployment.artifactId))];
  }

  async distillations(targetId: string, profileClass: string): Promise<PlanDistillation[]> {
    const rows = await this.prisma.targetDistillation.findMany({ where: { targetId, profileClass }, orderBy: { createdAt: 'asc' } });
    const jobIds = rows.map((r) => r.jobId).filter((j): j is string => j !== null);
    const jobs = new Map((await this.prisma.job.findMany({ where: { id: { in: jobIds } }, select: { id: true, status: true, error: true } })).map((j) => [j.id, j]));
    return rows.map((r) => {
      const job = r.jobId ? jobs.get(r.jobId) : undefined;
      return { student: r.student, jobId: r.jobId, status: job?.status ?? 'unqueued', error: job?.error, createdAt: r.createdAt };
    });
  }

  /** Claims the right to queue this student for the pair; false when it was claimed before (by anyone). */
  async claimDistillation(targetId: string, profileClass: string, student: string): Promise<boolean> {
    const { count } = await this.prisma.targetDistillation.createMany({ data: [{ targetId, profileClass, student }], skipDuplicates: true });
    return count === 1;
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
    await db.targetClassState.createMany({ data: [{ targetId, profileClass }], skipDuplicates: true });
    const n = await db.$executeRaw`
      UPDATE "TargetClassState" SET "leaseOwner" = ${owner}, "leaseExpiresAt" = now() + (${leaseMs} * interval '1 millisecond')
      WHERE "targetId" = ${targetId} AND "profileClass" = ${profileClass}
        AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < now() OR "leaseOwner" = ${owner})`;
    return n === 1;
  }

  /** Writes the outcome and gives the lease back (only if still ours). */
  async release(targetId: string, profileClass: string, owner: string, change?: StateChange): Promise<void> {
    await this.prisma.targetClassState.updateMany({
      where: { targetId, profileClass, leaseOwner: owner },
      data: {
        leaseOwner: null, leaseExpiresAt: null,
        ...(change ? {
          status: change.status,
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

  /** Status of a deployment and whether every device of it has finished. */
  async deploymentStatus(id: string): Promise<string | undefined> {
    return (await this.prisma.deployment.findUnique({ where: { id }, select: { status: true } }))?.status;
  }

  async jobStatus(id: string): Promise<string | undefined> {
    return (await this.prisma.job.findUnique({ where: { id }, select: { status: true } }))?.status;
  }

  private deviceWhere(selector: FleetSelector): Prisma.DeviceWhereInput {
    return selector.tags && selector.tags.length > 0 ? { tags: { hasSome: selector.tags } } : {};
  }
}
