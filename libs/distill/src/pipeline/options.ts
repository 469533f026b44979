import { DatasetSplit } from '../data/dataset';
import { ModelSpec } from '../model/spec';
import { OptimizerConfig } from '../graph/optimizer';
import { TeacherArch } from './ladder';

/** Options of distill(); every hyper-parameter left out takes its value from DISTILL_DEFAULTS. */
export interface DistillOptions {
  data: DatasetSplit;
  /** A trained teacher .onnx; without it one is trained first (`teacherArch`). */
  teacher?: Uint8Array;
  teacherArch?: TeacherArch;
  /**
   * A teacher that is not an ONNX model over these features (text teachers: a sentence encoder + head, fastText,
   * a remote LLM): its logits (or log-probabilities) for every row of `data.train` and `data.test`, n × classes.
   */
  teacherLogits?: { train: Float32Array; test: Float32Array; name: string; params?: number; bytes?: number };
  /** Written into every exported student's ONNX metadata_props (text students: the featurizer spec). */
  modelMetadata?: Record<string, string>;
  /** Student specs or CLI syntax (`mlp:64`, `cnn:8-16-32`); default: a ladder sized from the teacher. */
  students?: (ModelSpec | string)[];
  /** Student epochs; early stopping may end sooner. */
  epochs?: number;
  teacherEpochs?: number;
  /** Softmax temperature of the KD term. */
  temperature?: number;
  /** Weight of the KD term on labeled rows. */
  alpha?: number;
  /** Fraction of training rows whose labels may be used; the rest are teacher-labelled. */
  labeledFraction?: number;
  seed?: number;
  /** onnxruntime threads (1 gives bit-reproducible runs). */
  threads?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerConfig;
  validationFraction?: number;
  /** Early-stopping patience in epochs (0 = off). */
  patience?: number;
  /** Also train each student on hard labels alone (default true). */
  baseline?: boolean;
  /** Produce int8 and fp16 variants (default true). */
  quantize?: boolean;
  /** Also try static (calibrated) int8 beside dynamic and keep the faster (default true). */
  int8Static?: boolean;
  /** Measure batch-1 latency (default true). */
  latency?: boolean;
  signal?: AbortSignal;
}

export type RunRole = 'teacher' | 'student' | 'baseline';

export interface DistillProgress {
  run: string;
  role: RunRole;
  epoch: number;
  epochs: number;
  loss: number;
  valAccuracy?: number;
  etaMs: number;
  samplesPerSec: number;
}

export interface VariantMetrics {
  accuracy: number;
  bytes: number;
  latencyP50Ms?: number;
}

/** The int8 variant kept, and both formats as measured (batch-1 p50 alternated with fp32 in one run). */
export interface Int8Metrics extends VariantMetrics {
  /** 'dynamic' (activations quantized per call) or 'static' (calibrated activation scales): the faster one. */
  format: 'dynamic' | 'static';
  /** fp32's p50 in the same alternation, for the speed-up. */
  fp32LatencyP50Ms?: number;
  /** False when even the faster int8 was slower than fp32 here: selection then ships fp32 or fp16 (docs/selection.md). */
  fasterThanFp32?: boolean;
  formats: Array<VariantMetrics & { format: 'dynamic' | 'static' }>;
}

export interface StudentMetrics {
  name: string;
  params: number;
  macs: number;
  accuracy: number;
  /** Fraction of test samples where student and teacher predict the same class. */
  agreement: number;
  bytes: number;
  latencyP50Ms?: number;
  trainSeconds: number;
  epochsRun: number;
  hardLabelBaseline?: { accuracy: number; trainSeconds: number };
  int8?: Int8Metrics;
  fp16?: VariantMetrics;
}

export interface DistillMetrics {
  teacher: { accuracy: number; params?: number; bytes?: number; trained: boolean; name: string; trainSeconds?: number };
  students: StudentMetrics[];
  settings: { temperature: number; alpha: number; labeledFraction: number; seed: number; epochs: number; threads: number; batchSize: number };
  /** Variants that could not be produced, and why. */
  warnings: string[];
}

export interface StudentModels {
  name: string;
  fp32: Uint8Array;
  int8?: Uint8Array;
  fp16?: Uint8Array;
}

export interface DistillResult {
  metrics: DistillMetrics;
  /** The teacher as ONNX (given or trained here); absent when the teacher came as `teacherLogits`. */
  teacherModel?: Uint8Array;
  students: StudentModels[];
}
