import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { isDomainError, LeaseLostError } from '@edgefleet/platform';
import { DeploymentsService } from '../deployments/deployment.service';
import { DevicesService } from '../devices/device.service';
import { DistillationsService } from '../distillations/distillation.service';
import { SelectionService, type RecommendationResult } from '../selection/selection.service';
import { AutopilotConfig } from './autopilot.config';
import { excludedVariants, plan, WEAK_LATENCY_SOURCES, type Plan, type PlanDevice, type PlanDistillation, type PlanRecommendation } from './autopilot.planner';
import { AutopilotRepository, TargetPausedError, type StateChange } from './autopilot.repository';
import { autopilotActor, type TargetRecord } from './autopilot.types';

/** What one reconcile of a (target, class) did. */
export type ReconcileOutcome = { kind: 'busy' } | { kind: 'gone' } | { kind: 'paused' } | { kind: 'pinned' } | { kind: 'done'; plan: Plan; status: string } | { kind: 'error'; reason: string };

export interface Pair {
  targetId: string;
  profileClass: string;
}

const selects = (t: TargetRecord, tags: readonly string[]) => !t.selector.tags?.length || t.selector.tags.some((tag) => tags.includes(tag));

/**
 * Reconciles one (target, device class) at a time: recommend → plan → act → record. Idempotent (each step reads
 * the database, so running it twice changes nothing) and safe with several control planes: the pair's lease in
 * its state row lets one reconcile at a time act on it, and distillations are claimed per student spec.
 *
 * A reconcile costs a fixed number of queries whatever the fleet's size (no query per device, job or report); the
 * fleet facts come from the owning modules (devices, deployments, distillations, selection).
 */
@Injectable()
export class AutopilotService {
  private readonly log = new Logger('Autopilot');
  /** Lease owner name of this control plane. */
  readonly owner = `cp-${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly repo: AutopilotRepository,
    private readonly selection: SelectionService,
    private readonly deployments: DeploymentsService,
    private readonly devices: DevicesService,
    private readonly distillations: DistillationsService,
    private readonly config: AutopilotConfig,
  ) {}

  /** Every (target, class) of the fleet (the safety pass): one query for the targets, one per target for its classes. */
  async allPairs(): Promise<Pair[]> {
    const out: Pair[] = [];
    for (const t of await this.repo.allTargets()) out.push(...(await this.pairsOfTarget(t)));
    return out;
  }

  async pairsOfTarget(targetOrId: TargetRecord | string): Promise<Pair[]> {
    const target = typeof targetOrId === 'string' ? await this.repo.findTarget(targetOrId) : targetOrId;
    if (!target || target.pausedAt) return [];
    return (await this.devices.classesOf(target.selector.tags ?? [])).map((profileClass) => ({ targetId: target.id, profileClass }));
  }

  /** The pairs a device belongs to, from what the event said about it (no device query). */
  async pairsOfDevice(d: { profileClass: string; tags: readonly string[] }): Promise<Pair[]> {
    return (await this.repo.allTargets()).filter((t) => !t.pausedAt && selects(t, d.tags)).map((t) => ({ targetId: t.id, profileClass: d.profileClass }));
  }

  /** The pairs of a device known by id only (after a report). */
  async pairsOfDeviceId(deviceId: string): Promise<Pair[]> {
    // Targets first: a fleet without any (most rollouts) costs one small query per report, not a device read too.
    const targets = (await this.repo.allTargets()).filter((t) => !t.pausedAt);
    if (targets.length === 0) return [];
    const d = await this.devices.find(deviceId);
    return d ? targets.filter((t) => selects(t, d.tags)).map((t) => ({ targetId: t.id, profileClass: d.profileClass })) : [];
  }

  /** New variants of a family: every pair of the targets of that family may now choose differently. */
  async pairsOfFamily(family: string | null): Promise<Pair[]> {
    const out: Pair[] = [];
    for (const t of await this.repo.allTargets()) if (family === null || t.family === family) out.push(...(await this.pairsOfTarget(t)));
    return out;
  }

  /**
   * Pairs whose job or deployment has moved on since they last looked (what the watch timer re-reconciles): one
   * query for the waiting pairs, then one for all their deployments and one for all their jobs.
   */
  async pairsDue(): Promise<Pair[]> {
    const waiting = await this.repo.listWaiting();
    if (waiting.length === 0) return [];
    const ids = (pick: (w: (typeof waiting)[number]) => string | null) => waiting.map(pick).filter((x): x is string => x !== null);
    const [deployments, jobs] = await Promise.all([
      this.deployments.statuses(ids((w) => (w.status === 'deploying' ? w.deploymentId : null))),
      this.distillations.outcomes(ids((w) => (w.status === 'distilling' ? w.distillationJobId : null))),
    ]);
    return waiting.filter((w) => {
      if (w.status === 'distilling' && w.distillationJobId) return !['queued', 'running'].includes(jobs.get(w.distillationJobId)?.status ?? 'gone');
      if (w.status === 'deploying' && w.deploymentId) return deployments.get(w.deploymentId) !== 'in_progress';
      return true;
    }).map(({ targetId, profileClass }) => ({ targetId, profileClass }));
  }

  async reconcilePair(targetId: string, profileClass: string): Promise<ReconcileOutcome> {
    const target = await this.repo.findTarget(targetId);
    if (!target) return { kind: 'gone' };
    if (target.pausedAt) return { kind: 'paused' }; // an operator holds it: nothing is planned, the row stays as it was
    if (!(await this.repo.acquire(targetId, profileClass, this.owner, this.config.leaseMs))) return { kind: 'busy' };
    let change: StateChange | undefined;
    try {
      const decided = await this.decide(target, profileClass);
      if (!decided) {
        change = { reason: 'every device of the class is pinned: the autopilot leaves them alone' };
        return { kind: 'pinned' };
      }
      const { p, rec, rejected, remeasuring } = decided;
      change = await this.act(target, profileClass, p, rec, rejected, remeasuring);
      return { kind: 'done', plan: p, status: change.status! };
    } catch (err) {
      // Paused, deleted or taken over while deciding: nothing was written, and the state row stays as it is.
      if (err instanceof TargetPausedError) return { kind: 'paused' };
      if (err instanceof LeaseLostError) return (await this.repo.findTarget(targetId)) ? { kind: 'busy' } : { kind: 'gone' };
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
    // Sequential on purpose: a reconcile holds at most one connection, so requests are never queued behind it.
    const { devices, pinned } = await this.members(target, profileClass);
    if (devices.length === 0 && pinned > 0) return undefined;
    const { passed, refusals } = await this.deployments.classOutcomes(autopilotActor(target.id), profileClass);
    const { excluded: rejected, remeasuring } = excludedVariants(refusals);
    const distillations = await this.distillationsOf(target.id, profileClass);
    const rec = await this.selection.recommend(profileClass, { family: target.family, ...target.budget, excludeVariantIds: rejected });
    const p = plan({
      recommendation: summarize(rec), devices, rejected, passed, distillations,
      canDistill: target.distill !== undefined, maxDistillations: this.config.maxDistillations,
    });
    return { p, rec, rejected, remeasuring };
  }

  /** The class's devices in the target that are not pinned, with what each runs and installs; and how many are pinned. */
  private async members(target: TargetRecord, profileClass: string): Promise<{ devices: PlanDevice[]; pinned: number }> {
    const all = await this.devices.classMembers(target.selector.tags ?? [], profileClass);
    const pinned = await this.repo.pinnedAmong(all.map((m) => m.id));
    const members = all.filter((m) => !pinned.has(m.id));
    const unfinished = await this.deployments.unfinishedArtifacts(members.map((m) => m.id));
    const devices = members.map((m) => ({ id: m.id, activeArtifactId: m.activeArtifactId, unfinishedArtifactIds: unfinished.get(m.id) ?? [] }));
    return { devices, pinned: pinned.size };
  }

  private async distillationsOf(targetId: string, profileClass: string): Promise<PlanDistillation[]> {
    const rows = await this.repo.distillations(targetId, profileClass);
    const jobs = await this.distillations.outcomes(rows.map((r) => r.jobId).filter((j): j is string => j !== null));
    return rows.map((r) => {
      const job = r.jobId ? jobs.get(r.jobId) : undefined;
      return { student: r.student, jobId: r.jobId, status: job?.status ?? 'unqueued', error: job?.error, createdAt: r.createdAt };
    });
  }

  private async act(target: TargetRecord, profileClass: string, p: Plan, rec: RecommendationResult, rejected: string[], remeasuring: string[]): Promise<StateChange> {
    const details = detailsOf(rec, rejected, remeasuring);
    const decision = rec.decision;
    const name = `${target.name}/${profileClass.slice(0, 8)}`;
    switch (p.kind) {
      case 'deploy': {
        const d = await this.deployments.create(
          { artifactId: p.artifactId, deviceIds: p.deviceIds, gates: { ...target.budget }, measurableGatesOnly: true }, autopilotActor(target.id),
          (tx) => this.repo.holdLease(target.id, profileClass, this.owner, tx),
        );
        this.log.log(`${name}: deploying ${rec.chosen?.name ?? p.artifactId} ${rec.chosen?.precision ?? ''} to ${p.deviceIds.length} device(s) (deployment ${d.id})`);
        return { status: 'deploying', decision, chosenArtifactId: p.artifactId, deploymentId: d.id, reason: rec.reasons[0] ?? null, details };
      }
      case 'distill': {
        if (!(await this.repo.claimDistillation(target.id, profileClass, p.student, this.owner))) {
          return { status: 'distilling', decision, reason: `${p.student} was claimed by another reconcile`, details };
        }
        const s = target.distill!;
        try {
          const job = await this.distillations.create({
            datasetId: s.datasetId, teacherArtifactId: s.teacherArtifactId, textTeacher: s.textTeacher, featurizer: s.featurizer, students: [p.student], family: target.family,
            epochs: s.epochs, temperature: s.temperature, alpha: s.alpha, labeledFraction: s.labeledFraction,
          });
          await this.repo.setDistillationJob(target.id, profileClass, p.student, job.id);
          this.log.log(`${name}: no variant fits, distilling ${p.student} (job ${job.id})`);
          return { status: 'distilling', decision, chosenArtifactId: null, distillationJobId: job.id, reason: p.reason ?? rec.reasons[0] ?? null, details };
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
  const nearMisses = r.candidates.filter((c) => !c.fits && c.latencySource !== 'measured').map((c) => ({
    artifactId: c.variantId, worstRatio: c.worstRatio,
    weakEvidence: c.failedChecks.length === 1 && c.failedChecks[0] === 'latency' && (WEAK_LATENCY_SOURCES as readonly string[]).includes(c.latencySource),
  }));
  const candidates = r.candidates.map((c) => ({ artifactId: c.variantId, accuracy: c.accuracy, worstRatio: c.worstRatio }));
  const smallestStudent = r.smallestStudent && r.sizing?.smallestWorstRatio !== undefined
    ? { student: r.smallestStudent.student, worstRatio: r.sizing.smallestWorstRatio } : undefined;
  return { decision: r.decision, chosenArtifactId: r.chosen?.variantId, student: r.student?.student, nearMisses, candidates, smallestStudent, reasons: r.reasons };
}

/** The part of a recommendation worth keeping on the state row (GET /targets/:id shows it). */
function detailsOf(r: RecommendationResult, rejected: string[], remeasuring: string[]): Record<string, unknown> {
  const brief = (c: RecommendationResult['chosen']) => c && ({
    artifactId: c.variantId, name: c.name, precision: c.precision, predictedLatencyP95Ms: c.predictedLatencyP95Ms, latencySource: c.latencySource,
    latencyReports: c.latencyReports, latencyIntervalMs: c.latencyIntervalMs,
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
    ...(remeasuring.length ? { remeasuringArtifactIds: remeasuring } : {}),
  };
}
