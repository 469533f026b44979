import { Injectable } from '@nestjs/common';
import { AuditRepository, NotFoundError } from '@edgefleet/platform';
import type { Page, Actor } from '@edgefleet/platform';
import { DistillationsService } from '../distillations/distillation.service';
import { AutopilotRepository } from './autopilot.repository';
import { AutopilotScheduler } from './autopilot.scheduler';
import type { ClassStateRecord, FleetBudget, FleetDistillSettings, TargetRecord, FleetSelector } from './autopilot.types';

export interface CreateTarget {
  name: string;
  family: string;
  selector: FleetSelector;
  budget: FleetBudget;
  distill?: FleetDistillSettings;
}

/** Fleet targets: a segment of the fleet and the budget its models must meet, kept fitted by the autopilot. */
@Injectable()
export class TargetsService {
  constructor(
    private readonly repo: AutopilotRepository, private readonly scheduler: AutopilotScheduler, private readonly audit: AuditRepository,
    private readonly distillations: DistillationsService,
  ) {}

  async create(input: CreateTarget, actor: Actor): Promise<TargetRecord> {
    if (input.distill) await this.distillations.checkSource(input.distill);
    const target = await this.repo.createTarget({
      name: input.name, family: input.family, createdBy: actor,
      selector: input.selector.tags ? { tags: [...new Set(input.selector.tags)] } : {},
      budget: plainBudget(input.budget),
      ...(input.distill ? { distill: { ...input.distill } } : {}),
    });
    this.scheduler.targetCreated(target.id);
    return target;
  }

  async get(id: string): Promise<{ target: TargetRecord; classes: ClassStateRecord[] }> {
    const target = await this.repo.findTarget(id);
    if (!target) throw new NotFoundError('target', id);
    return { target, classes: await this.repo.listStates(id) };
  }

  /** Targets that use this model or data set, as `target <name>` lines. */
  targetsUsing(use: { artifactId: string } | { datasetId: string }): Promise<string[]> {
    return this.repo.targetsUsing(use);
  }

  async list(page: { limit: number; offset: number }): Promise<Page<TargetRecord>> {
    return { ...(await this.repo.listTargets(page)), ...page };
  }

  /** Holds the autopilot off the target's devices until resumed (what they run stays; state rows keep their last word). */
  async pause(id: string, actor: Actor): Promise<TargetRecord> {
    const t = await this.repo.setPaused(id, actor);
    if (!t) throw new NotFoundError('target', id);
    await this.audit.record({ actor, action: 'target.pause', entityType: 'target', entityId: id, details: { name: t.name } });
    return t;
  }

  /** Hands the target back to the autopilot, which reconciles its classes at once. */
  async resume(id: string, actor: Actor): Promise<TargetRecord> {
    const t = await this.repo.setPaused(id, null);
    if (!t) throw new NotFoundError('target', id);
    await this.audit.record({ actor, action: 'target.resume', entityType: 'target', entityId: id, details: { name: t.name } });
    this.scheduler.targetCreated(id);
    return t;
  }

  /** Stops the autopilot for this segment; what devices run stays as it is. */
  async remove(id: string): Promise<void> {
    if (!(await this.repo.deleteTarget(id))) throw new NotFoundError('target', id);
  }
}

function plainBudget(b: FleetBudget): FleetBudget {
  return {
    maxLatencyP95Ms: b.maxLatencyP95Ms,
    ...(b.maxMemoryMb !== undefined ? { maxMemoryMb: b.maxMemoryMb } : {}),
    ...(b.minAccuracy !== undefined ? { minAccuracy: b.minAccuracy } : {}),
  };
}
