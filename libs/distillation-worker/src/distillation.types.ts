import type { DistillHyperName } from '@edgefleet/distill';
import type { SizeBudget } from '@edgefleet/selection';

/** The queue (Job.queue) distillation jobs live in. */
export const DISTILLATION_QUEUE = 'distillation';

/** Size limit for a student chosen by the service when no explicit list is given (libs/selection sizes it). */
export type TargetBudget = SizeBudget;

/**
 * The hyper-parameters a job runs with. The API resolves every default (DISTILL_DEFAULTS) before queueing, so a
 * job records what it ran with; a field absent from an older job takes the engine's default.
 */
export type HyperParameters = Partial<Record<DistillHyperName, number>>;

/** A job's payload: validated at the API and again when a worker takes it (DistillationPayloadDto); keep it additive. */
export interface DistillationPayload {
  datasetId: string;
  teacherArtifactId?: string;
  /** Architecture of the teacher trained first when no teacherArtifactId is given (default: cnn for images, mlp for tables). */
  teacherArch?: 'mlp' | 'cnn';
  /**
   * Text data sets only: the teacher in the CLI's syntax (`use-lite`, `fasttext-lid`, `openai:<url>#<model>`), and the
   * featurizer the students read their input with (default: DEFAULT_TEXT_FEATURIZER, resolved at the API).
   */
  textTeacher?: string;
  featurizer?: Record<string, unknown>;
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
  phase: 'loading' | 'labelling' | 'training' | 'publishing';
  /** Text jobs, while the teacher labels the texts (cached outputs count at once): what, texts done / total, rate. */
  teacherLabelling?: { what: string; done: number; total: number; perSec: number };
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
  /** Every epoch reported so far, per run (the dashboard's loss/accuracy curves): [epoch, loss, valAccuracy | null]. */
  curves?: DistillationCurve[];
  /** Runs (teacher, students, baselines) finished so far and planned in all. */
  runsDone: number;
  runsTotal: number;
  at: string;
}

/** One run's learning curve. At most 500 epochs (the hyper-parameter bound) × 9 runs per job. */
export interface DistillationCurve {
  run: string;
  role: 'teacher' | 'student' | 'baseline';
  points: Array<[epoch: number, loss: number, valAccuracy: number | null]>;
}

/** Job.result of a succeeded distillation. */
export interface DistillationResultSummary {
  artifactIds: string[];
  teacherArtifactId?: string;
  metrics: unknown;
}
