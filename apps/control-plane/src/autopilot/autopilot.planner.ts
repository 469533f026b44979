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
  /** Distillations queued for this (target, class), oldest first. */
  distillations: PlanDistillation[];
  canDistill: boolean;
  maxDistillations: number;
}

export type Plan =
  | { kind: 'deploy'; artifactId: string; deviceIds: string[] }
  | { kind: 'distill'; student: string }
  | { kind: 'settle'; status: AutopilotStatusName; reason: string; artifactId?: string; jobId?: string };

const RUNNING: ReadonlyArray<PlanDistillation['status']> = ['queued', 'running'];

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
      const id = rec.chosenArtifactId!;
      const todo = input.devices.filter((d) => d.activeArtifactId !== id && !d.unfinishedArtifactIds.includes(id));
      if (todo.length > 0) return { kind: 'deploy', artifactId: id, deviceIds: todo.map((d) => d.id) };
      const pending = input.devices.filter((d) => d.activeArtifactId !== id).length;
      if (pending > 0) return { kind: 'settle', status: 'deploying', artifactId: id, reason: `${pending} of ${input.devices.length} device(s) still installing` };
      return { kind: 'settle', status: 'active', artifactId: id, reason: rec.reasons[0] ?? 'running the chosen variant' };
    }
    case 'distill-student': {
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
      return { kind: 'settle', status: input.rejected.length > 0 ? 'rejected' : 'infeasible', reason: rec.reasons.join('; ') };
    default: {
      const never: never = rec.decision;
      throw new Error(`unknown decision ${String(never)}`);
    }
  }
}
