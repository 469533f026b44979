import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { isDomainError } from '../common/errors';
import { DeploymentsService } from '../deployments/deployment.service';
import { DistillationsService } from '../distillations/distillation.service';
import { SelectionService, type RecommendationResult } from '../selection/selection.service';
import { AutopilotConfig } from './autopilot.config';
import { plan, type Plan, type PlanRecommendation } from './autopilot.planner';
import { AutopilotRepository, type StateChange } from './autopilot.repository';
import { autopilotActor, type TargetRecord } from './autopilot.types';

/** What one reconcile of a (target, class) did. */
export type ReconcileOutcome = { kind: 'busy' } | { kind: 'gone' } | { kind: 'done'; plan: Plan; status: string } | { kind: 'error'; reason: string };

/**
 * Reconciles one (target, device class) at a time: recommend → plan → act → record. Idempotent (each step reads
 * the database, so running it twice changes nothing) and safe with several control planes: the pair's lease in
 * its state row lets one reconcile at a time act on it, and distillations are claimed per student spec.
 */
@Injectable()
export class AutopilotService {
  private readonly log = new Logger('Autopilot');
  /** Lease owner name of this control plane. */
  readonly owner = `cp-${randomUUID().slice(0, 8)}`;
  private distillationsService?: DistillationsService;

  constructor(
    private readonly repo: AutopilotRepository,
    private readonly selection: SelectionService,
    private readonly deployments: DeploymentsService,
    private readonly moduleRef: ModuleRef,
    private readonly config: AutopilotConfig,
  ) {}

  /**
   * DistillationsModule is a dynamic module built with the distillation config; importing it a second time here
   * would build a second queue and worker, so its service is looked up in the running application instead.
   */
  private get distillations(): DistillationsService {
    this.distillationsService ??= this.moduleRef.get(DistillationsService, { strict: false });
    return this.distillationsService;
  }

  /** Every class of every target. */
  async reconcileAll(): Promise<void> {
    const { items } = await this.repo.listTargets();
    for (const t of items) await this.reconcileTarget(t);
  }

  async reconcileTarget(targetOrId: TargetRecord | string): Promise<void> {
    const target = typeof targetOrId === 'string' ? await this.repo.findTarget(targetOrId) : targetOrId;
    if (!target) return;
    for (const cls of await this.repo.classesOf(target.selector)) await this.reconcilePair(target.id, cls);
  }

  /** The pairs a device belongs to (after its hello or report). */
  async pairsOfDevice(deviceId: string): Promise<Array<{ targetId: string; profileClass: string }>> {
    const device = await this.repo.device(deviceId);
    if (!device) return [];
    const { items } = await this.repo.listTargets();
    return items
      .filter((t) => !t.selector.tags?.length || t.selector.tags.some((tag) => device.tags.includes(tag)))
      .map((t) => ({ targetId: t.id, profileClass: device.profileClass }));
  }

  /** Pairs whose job or deployment has moved on since they last looked (what the watch timer re-reconciles). */
  async pairsDue(): Promise<Array<{ targetId: string; profileClass: string }>> {
    const due: Array<{ targetId: string; profileClass: string }> = [];
    for (const w of await this.repo.listWaiting()) {
      if (w.status === 'distilling' && w.distillationJobId) {
        const s = await this.repo.jobStatus(w.distillationJobId);
        if (s !== 'queued' && s !== 'running') due.push(w);
      } else if (w.status === 'deploying' && w.deploymentId) {
        const s = await this.repo.deploymentStatus(w.deploymentId);
        if (s !== 'in_progress') due.push(w);
      } else {
        due.push(w);
      }
    }
    return due;
  }

  async reconcilePair(targetId: string, profileClass: string): Promise<ReconcileOutcome> {
    const target = await this.repo.findTarget(targetId);
    if (!target) return { kind: 'gone' };
    if (!(await this.repo.acquire(targetId, profileClass, this.owner, this.config.leaseMs))) return { kind: 'busy' };
    let change: StateChange | undefined;
    try {
      const { p, rec, rejected } = await this.decide(target, profileClass);
      change = await this.act(target, profileClass, p, rec, rejected);
      return { kind: 'done', plan: p, status: change.status };
    } catch (err) {
      // A reconcile that cannot finish says why in the state row; the next event or tick tries again.
      const reason = err instanceof Error ? err.message : String(err);
      if (!isDomainError(err)) this.log.error(`reconcile ${target.name}/${profileClass.slice(0, 8)} failed: ${(err as Error)?.stack ?? reason}`);
      change = { status: 'failed', reason: `reconcile failed: ${reason}` };
      return { kind: 'error', reason };
    } finally {
      await this.repo.release(targetId, profileClass, this.owner, change);
    }
  }

  private async decide(target: TargetRecord, profileClass: string) {
    const [devices, rejected, passed, distillations] = await Promise.all([
      this.repo.devicesOf(target.selector, profileClass),
      this.repo.rejectedArtifacts(target.id, profileClass),
      this.repo.passedArtifacts(target.id, profileClass),
      this.repo.distillations(target.id, profileClass),
    ]);
    const rec = await this.selection.recommend(profileClass, { family: target.family, ...target.budget, excludeVariantIds: rejected });
    const p = plan({
      recommendation: summarize(rec), devices, rejected, passed, distillations,
      canDistill: target.distill !== undefined, maxDistillations: this.config.maxDistillations,
    });
    return { p, rec, rejected };
  }

  private async act(target: TargetRecord, profileClass: string, p: Plan, rec: RecommendationResult, rejected: string[]): Promise<StateChange> {
    const details = detailsOf(rec, rejected);
    const decision = rec.decision;
    const name = `${target.name}/${profileClass.slice(0, 8)}`;
    switch (p.kind) {
      case 'deploy': {
        const d = await this.deployments.create({ artifactId: p.artifactId, deviceIds: p.deviceIds, gates: { ...target.budget } }, autopilotActor(target.id));
        this.log.log(`${name}: deploying ${rec.chosen?.name ?? p.artifactId} ${rec.chosen?.precision ?? ''} to ${p.deviceIds.length} device(s) (deployment ${d.id})`);
        return { status: 'deploying', decision, chosenArtifactId: p.artifactId, deploymentId: d.id, reason: rec.reasons[0] ?? null, details };
      }
      case 'distill': {
        if (!(await this.repo.claimDistillation(target.id, profileClass, p.student))) {
          return { status: 'distilling', decision, reason: `${p.student} was claimed by another reconcile`, details };
        }
        const s = target.distill!;
        try {
          const job = await this.distillations.create({
            datasetId: s.datasetId, teacherArtifactId: s.teacherArtifactId, students: [p.student], family: target.family,
            epochs: s.epochs, temperature: s.temperature, alpha: s.alpha, labeledFraction: s.labeledFraction,
          });
          await this.repo.setDistillationJob(target.id, profileClass, p.student, job.id);
          this.log.log(`${name}: no variant fits, distilling ${p.student} (job ${job.id})`);
          return { status: 'distilling', decision, chosenArtifactId: null, distillationJobId: job.id, reason: rec.reasons[0] ?? null, details };
        } catch (err) {
          // The claim stays (jobId null = "could not be queued"): the same student is not tried again.
          if (!isDomainError(err)) throw err;
          return { status: 'failed', decision, reason: `distillation of ${p.student} could not be queued: ${(err as Error).message}`, details };
        }
      }
      case 'settle':
        return {
          status: p.status, decision, reason: p.reason, details,
          ...(p.artifactId ? { chosenArtifactId: p.artifactId } : p.status === 'infeasible' ? { chosenArtifactId: null } : {}),
          ...(p.jobId ? { distillationJobId: p.jobId } : {}),
        };
      default: {
        const never: never = p;
        throw new Error(`unknown plan ${JSON.stringify(never)}`);
      }
    }
  }
}

function summarize(r: RecommendationResult): PlanRecommendation {
  // A variant already measured on the class (≥ 3 reports) is known not to fit: only predictions are worth a try.
  const nearMisses = r.candidates.filter((c) => !c.fits && c.latencySource !== 'measured').map((c) => ({ artifactId: c.variantId, worstRatio: c.worstRatio }));
  const candidates = r.candidates.map((c) => ({ artifactId: c.variantId, accuracy: c.accuracy, worstRatio: c.worstRatio }));
  return { decision: r.decision, chosenArtifactId: r.chosen?.variantId, student: r.student?.student, nearMisses, candidates, reasons: r.reasons };
}

/** The part of a recommendation worth keeping on the state row (GET /targets/:id shows it). */
function detailsOf(r: RecommendationResult, rejected: string[]): Record<string, unknown> {
  const brief = (c: RecommendationResult['chosen']) => c && ({
    artifactId: c.variantId, name: c.name, precision: c.precision, predictedLatencyP95Ms: c.predictedLatencyP95Ms, latencySource: c.latencySource,
    predictedMemoryMb: c.predictedMemoryMb, accuracy: c.accuracy ?? null, fits: c.fits,
  });
  return {
    reasons: r.reasons,
    ...(r.chosen ? { chosen: brief(r.chosen) } : {}),
    ...(r.closest ? { closest: brief(r.closest) } : {}),
    ...(r.student ? { student: { spec: r.student.student, macs: r.student.macs, predictedLatencyP95Ms: r.student.predictedLatencyP95Ms } } : {}),
    ...(r.smallestStudent ? { smallestStudent: { spec: r.smallestStudent.student, macs: r.smallestStudent.macs, predictedLatencyP95Ms: r.smallestStudent.predictedLatencyP95Ms } } : {}),
    candidates: r.candidates.length,
    rejectedArtifactIds: rejected,
  };
}
