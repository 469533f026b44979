import type { SizeBudget } from '@edgefleet/selection';

/** The queue (Job.queue) distillation jobs live in. */
export const DISTILLATION_QUEUE = 'distillation';

/** Size limit for a student chosen by the service when no explicit list is given (libs/selection sizes it). */
export type TargetBudget = SizeBudget;

/** The hyper-parameters a job runs with, every default resolved at the API (from DISTILL_DEFAULTS). */
export interface HyperParameters {
  epochs: number;
  teacherEpochs: number;
  temperature: number;
  alpha: number;
  labeledFraction: number;
  seed: number;
  /** Absent in jobs queued before the API resolved every default: distill() then applies its own. */
  batchSize?: number;
  /** Early-stopping patience in epochs (0 = off); absent in older jobs, as batchSize. */
  patience?: number;
}

/** A job's payload: validated at the API, read back by a worker (possibly another version: keep it additive). */
export interface DistillationPayload {
  datasetId: string;
  teacherArtifactId?: string;
  /** Student specs in the CLI syntax (`mlp:64`, `cnn:8-16-32`); resolved from targetBudget when that was given. */
  students?: string[];
  targetBudget?: TargetBudget;
  family: string;
  hyper: HyperParameters;
  /** Test rows shipped as the eval split beside each artifact. */
  evalSamples: number;
}

/** What the worker writes to Job.progress, and what GET / SSE show. */
export interface DistillationProgress {
  phase: 'loading' | 'training' | 'publishing';
  run?: string;
  role?: 'teacher' | 'student' | 'baseline';
  epoch?: number;
  epochs?: number;
  loss?: number;
  valAccuracy?: number;
  /** Remaining time of the current run, ms. */
  etaMs?: number;
  samplesPerSec?: number;
  /** The last epoch reported, kept through the publishing phase so a finished job still shows it. */
  lastEpoch?: { run: string; epoch: number; loss: number; valAccuracy?: number };
  /** Runs (teacher, students, baselines) finished so far and planned in all. */
  runsDone: number;
  runsTotal: number;
  at: string;
}

/** Job.result of a succeeded distillation. */
export interface DistillationResultSummary {
  artifactIds: string[];
  teacherArtifactId?: string;
  metrics: unknown;
}
