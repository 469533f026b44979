import type { JobStatus } from '@edgefleet/db';
import type { AutopilotStatusName } from './autopilot.types';

/**
 * The autopilot's decision for one (target, class), as a pure function of what is known — so every branch of
 * the state machine is unit-tested without a database (docs/autopilot.md draws it).
 */

/** The recommendation, reduced to what planning needs. */
export interface PlanRecommendation {
  decision: 'use-existing' | 'distill-student' | 'no-feasible-student';
  chosenArtifactId?: string;
  /** Student spec in the distill syntax, when decision = distill-student. */
  student?: string;
  /**
   * Variants predicted (not measured on the class) not to fit, most accurate first, with their worst predicted/allowed
   * ratio; `weakEvidence` when latency is all they miss and that prediction rests on no measurement of this class
   * (WEAK_LATENCY_SOURCES).
   */
  nearMisses?: Array<{ artifactId: string; worstRatio: number; weakEvidence?: boolean }>;
  /**
   * When decision = no-feasible-student because even the smallest student is predicted too slow or too big: that
   * student and its worst predicted/allowed ratio against the budget (no headroom).
   */
  smallestStudent?: { student: string; worstRatio: number };
  /** Every candidate's accuracy and worst predicted/allowed ratio (for deciding whether to leave a measured fit). */
  candidates?: Array<{ artifactId: string; accuracy?: number; worstRatio: number }>;
  reasons: string[];
}

export interface PlanDevice {
  id: string;
  activeArtifactId: string | null;
  /** Artifacts of this device's deployments that have not finished (pending … benchmarking). */
  unfinishedArtifactIds: string[];
}

export interface PlanDistillation {
  student: string;
  jobId: string | null;
  /** Job status, or 'unqueued' when the row exists but its job could not be made. */
  status: JobStatus | 'unqueued';
  error?: string | null;
  createdAt: Date;
}

export interface PlanInput {
  recommendation: PlanRecommendation;
  devices: PlanDevice[];
  /** Variants devices of this class rejected (or failed to run) for this target: never deployed again. */
  rejected: string[];
  /** Variants devices of this class activated for this target (they passed its budget, measured on the device). */
  passed: string[];
  /** Distillations queued for this (target, class), oldest first. */
  distillations: PlanDistillation[];
  canDistill: boolean;
  maxDistillations: number;
}

/** A device's refusal of a variant in one of this target's deployments, with the gates its report failed. */
export interface PlanRefusal {
  artifactId: string;
  deploymentId: string;
  failedGates: Array<{ gate: string; limit: number; measured?: number }>;
}

/**
 * How far over its latency limit a refusal may have measured and still be measured again. A sub-millisecond p95 on
 * a busy host moves 2–3× under a neighbour's burst (the agent already benchmarks such a miss twice); one more
 * deployment settles it where one unlucky benchmark would exclude a variant for good.
 */
export const REMEASURE_FACTOR = 2;

const narrowLatencyMiss = (r: PlanRefusal) => r.failedGates.length === 1 && r.failedGates[0]!.gate === 'maxLatencyP95Ms'
  && r.failedGates[0]!.measured !== undefined && r.failedGates[0]!.measured <= REMEASURE_FACTOR * r.failedGates[0]!.limit;

/**
 * Variants excluded for good from a class: refused in two deployments, or once for any reason other than a narrow
 * latency miss (an accuracy or memory gate, a model that could not run, a wide miss). A variant refused once by a
 * narrow latency miss stays a candidate, so it is measured again (chosen, or probed as a near miss) before it is
 * excluded on evidence rather than on one benchmark.
 */
export function excludedVariants(refusals: readonly PlanRefusal[]): { excluded: string[]; remeasuring: string[] } {
  const by = new Map<string, { deployments: Set<string>; narrow: boolean }>();
  for (const r of refusals) {
    const e = by.get(r.artifactId) ?? { deployments: new Set<string>(), narrow: true };
    e.deployments.add(r.deploymentId);
    e.narrow &&= narrowLatencyMiss(r);
    by.set(r.artifactId, e);
  }
  const excluded: string[] = [];
  const remeasuring: string[] = [];
  for (const [id, e] of by) (e.deployments.size >= 2 || !e.narrow ? excluded : remeasuring).push(id);
  return { excluded, remeasuring };
}

export type Plan =
  | { kind: 'deploy'; artifactId: string; deviceIds: string[] }
  | { kind: 'distill'; student: string; reason?: string }
  | { kind: 'settle'; status: AutopilotStatusName; reason: string; artifactId?: string; jobId?: string };

const RUNNING: ReadonlyArray<PlanDistillation['status']> = ['queued', 'running'];

/**
 * How far over budget a never-tried variant may be predicted and still be tried on the devices before distilling
 * or giving up. Predictions for a class with few reports are easily 2× off (docs/selection.md), and one report
 * taken while the device was busy inflates the class's factor; a benchmark settles it in seconds, a distillation
 * takes minutes. A variant is tried once: rejected, it is excluded like any other.
 */
export const PROBE_FACTOR = 2;

/**
 * Latency predictions that rest on no measurement of the class (docs/selection.md): a brand-new class (`prior`,
 * typically 2–3× off) or the fleet's curve scaled to it (`fleet-fit`). A variant that misses only on such a
 * prediction, by up to WEAK_PROBE_FACTOR, is probed — benchmarked on the class's devices with the target's gates —
 * before the class distils or gives up: a benchmark takes seconds and turns the class's predictions into
 * `class-fit` ones (≥ 3 variants measured), which bounds the probes.
 */
export const WEAK_LATENCY_SOURCES = ['prior', 'fleet-fit'] as const;

/** How far over budget a weak prediction may be and still be probed: the worst first prediction seen was 25× off (44 ms predicted, 1.8 ms measured). */
export const WEAK_PROBE_FACTOR = 30;

/**
 * When predictions say nothing fits: keep a variant every device of the class already runs after passing this
 * target's gates (a measurement beats a prediction), else try the most accurate near miss not yet tried.
 */
function measuredOverPredicted(input: PlanInput): Plan | undefined {
  const { devices, rejected, passed } = input;
  const running = devices[0]?.activeArtifactId;
  if (running && passed.includes(running) && !rejected.includes(running) && devices.every((d) => d.activeArtifactId === running)) {
    return { kind: 'settle', status: 'active', artifactId: running, reason: `devices run ${running}, which passed the budget on them (predictions say nothing fits: ${input.recommendation.reasons[0] ?? ''})` };
  }
  const probe = input.recommendation.nearMisses?.find((m) => (m.worstRatio <= (m.weakEvidence ? WEAK_PROBE_FACTOR : PROBE_FACTOR)) && !rejected.includes(m.artifactId) && !passed.includes(m.artifactId));
  if (!probe) return undefined;
  // Devices already running it (deployed by hand, or by another target) get it again: the probe is a benchmark
  // against this target's gates, and without it the pair would wait as `deploying` on a deployment that never comes.
  const todo = devices.filter((d) => !d.unfinishedArtifactIds.includes(probe.artifactId));
  if (todo.length > 0) return { kind: 'deploy', artifactId: probe.artifactId, deviceIds: todo.map((d) => d.id) };
  return { kind: 'settle', status: 'deploying', artifactId: probe.artifactId, reason: `trying ${probe.artifactId}, predicted ${probe.worstRatio.toFixed(2)}× its budget${probe.weakEvidence ? ' on no measurement of this class' : ''}` };
}

/**
 * When no student is predicted to fit: distil the smallest one anyway if it is predicted within PROBE_FACTOR × the
 * budget, once, so its variants are benchmarked on the class (they are near misses, probed like any other). The
 * prediction for a student that small is mostly the per-inference overhead extrapolated from the class's reports of
 * much bigger models; one report taken while the device was busy inflates it (seen: mlp:8 predicted at 1.14× a
 * budget whose mid-tier variants the same class measured at 1.5×). A distillation costs minutes; giving up on a
 * prediction costs the class.
 */
function probeStudent(input: PlanInput): Plan | undefined {
  const s = input.recommendation.smallestStudent;
  if (!s || s.worstRatio > PROBE_FACTOR || !input.canDistill) return undefined;
  if (input.distillations.some((d) => d.student === s.student) || input.distillations.length >= input.maxDistillations) return undefined;
  return { kind: 'distill', student: s.student, reason: `no student is predicted to fit; distilling the smallest, ${s.student}, predicted at ${s.worstRatio.toFixed(2)}× the budget, to measure it` };
}

/**
 * How far inside its budget a more accurate variant must be predicted before a class that runs a variant measured to
 * fit (it passed this target's gates on these devices) leaves it. Without a margin, a class flaps: the fleet's
 * reports move the predictions around the budget, every move redeploys, and the device measures what it measured.
 */
export const UPGRADE_MARGIN = 0.8;

/**
 * Which variant a use-existing class should run. If devices of the class run a variant that passed this target's
 * gates on them and the recommendation now prefers another, keep the measured fit (and give it to the class's other
 * devices), unless the other is more accurate and predicted within UPGRADE_MARGIN × the budget. A measurement beats
 * a prediction: a less accurate choice means the predictions moved, not the devices.
 */
function preferred(input: PlanInput, chosenId: string): { id: string; reason?: string } {
  const { devices, rejected, passed, recommendation: rec } = input;
  const counts = new Map<string, number>();
  for (const d of devices) {
    if (d.activeArtifactId && passed.includes(d.activeArtifactId) && !rejected.includes(d.activeArtifactId)) counts.set(d.activeArtifactId, (counts.get(d.activeArtifactId) ?? 0) + 1);
  }
  const fit = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!fit || fit === chosenId) return { id: chosenId };
  const of = (id: string) => rec.candidates?.find((c) => c.artifactId === id);
  const chosen = of(chosenId);
  const gain = (chosen?.accuracy ?? 0) - (of(fit)?.accuracy ?? 0);
  if (gain > 0 && chosen !== undefined && chosen.worstRatio <= UPGRADE_MARGIN) return { id: chosenId };
  const why = gain > 0
    ? `${chosenId} is more accurate but predicted at ${chosen ? chosen.worstRatio.toFixed(2) : '?'}× the budget (≤ ${UPGRADE_MARGIN} needed to leave a measured fit)`
    : `the predictions now prefer ${chosenId}, which is not more accurate`;
  return { id: fit, reason: `devices run ${fit}, which passed the budget on them; ${why}` };
}

export function plan(input: PlanInput): Plan {
  const { recommendation: rec, distillations } = input;
  const inFlight = distillations.find((d) => RUNNING.includes(d.status));
  if (inFlight) return { kind: 'settle', status: 'distilling', jobId: inFlight.jobId ?? undefined, reason: `distilling ${inFlight.student} (job ${inFlight.jobId} ${inFlight.status})` };
  const last = distillations[distillations.length - 1];
  if (last && last.status !== 'succeeded') {
    // Sticky: a job that failed is not retried by the loop (the job queue already retried it within its attempts).
    const why = last.status === 'unqueued' ? 'could not be queued' : `${last.status}${last.error ? `: ${last.error}` : ''}`;
    return { kind: 'settle', status: 'failed', jobId: last.jobId ?? undefined, reason: `distillation of ${last.student} (job ${last.jobId ?? '-'}) ${why}; not retried` };
  }
  switch (rec.decision) {
    case 'use-existing': {
      const { id, reason } = preferred(input, rec.chosenArtifactId!);
      const todo = input.devices.filter((d) => d.activeArtifactId !== id && !d.unfinishedArtifactIds.includes(id));
      if (todo.length > 0) return { kind: 'deploy', artifactId: id, deviceIds: todo.map((d) => d.id) };
      const pending = input.devices.filter((d) => d.activeArtifactId !== id).length;
      if (pending > 0) return { kind: 'settle', status: 'deploying', artifactId: id, reason: `${pending} of ${input.devices.length} device(s) still installing` };
      return { kind: 'settle', status: 'active', artifactId: id, reason: reason ?? rec.reasons[0] ?? 'running the chosen variant' };
    }
    case 'distill-student': {
      const measured = measuredOverPredicted(input);
      if (measured) return measured;
      const student = rec.student!;
      const done = distillations.find((d) => d.student === student && d.status === 'succeeded');
      const rejectedNote = input.rejected.length > 0 ? ` (devices rejected ${input.rejected.length} variant(s))` : '';
      if (done) {
        return { kind: 'settle', status: input.rejected.length > 0 ? 'rejected' : 'failed', jobId: done.jobId ?? undefined,
          reason: `${student} was distilled (job ${done.jobId}) but none of its variants fits${rejectedNote}; not distilled again` };
      }
      if (!input.canDistill) return { kind: 'settle', status: input.rejected.length > 0 ? 'rejected' : 'failed', reason: `no variant fits${rejectedNote} and the target has no distill settings: ${rec.reasons[0] ?? ''}` };
      if (distillations.length >= input.maxDistillations) {
        return { kind: 'settle', status: input.rejected.length > 0 ? 'rejected' : 'failed', reason: `gave up after ${distillations.length} distillation(s)${rejectedNote}; next proposal was ${student}` };
      }
      return { kind: 'distill', student };
    }
    case 'no-feasible-student':
      return measuredOverPredicted(input) ?? probeStudent(input) ?? { kind: 'settle', status: input.rejected.length > 0 ? 'rejected' : 'infeasible', reason: rec.reasons.join('; ') };
    default: {
      const never: never = rec.decision;
      throw new Error(`unknown decision ${String(never)}`);
    }
  }
}
