/** What selection needs to know about a device class (the class-defining fields of a HardwareProfile). */
export interface ClassProfile {
  profileClass: string;
  name?: string;
  arch: string;
  cores: number;
  clockMhz?: number;
  simd?: string[];
  ramMb: number;
}

export type Precision = 'fp32' | 'fp16' | 'int8' | string;

/** A model variant in the catalogue (a ModelArtifact row, with MACs filled in from its graph when missing). */
export interface Variant {
  id: string;
  name: string;
  version?: string;
  precision: Precision;
  family?: string | null;
  /** Multiply-accumulates per sample. */
  macs: number;
  params?: number | null;
  sizeBytes: number;
  /** Accuracy measured where the artifact was made (metrics.accuracy), if known. */
  accuracy?: number;
  /**
   * For a quantized variant: its batch-1 p50 and its fp32 twin's, timed in one alternated run where it was made
   * (a distillation's int8 metrics `latencyP50Ms` and `fp32LatencyP50Ms`). Evidence for the int8 rule when the
   * class has not measured both.
   */
  madeLatency?: { p50Ms: number; fp32P50Ms: number };
  /** Sample shape without the batch axis, e.g. [784]; lets a new student be sized for the same data. */
  inputShape?: number[];
  numClasses?: number;
}

/** One benchmark report, reduced to what prediction uses. */
export interface Observation {
  profileClass: string;
  variantId: string;
  latencyP95Ms: number;
  /** The model's own memory as the device measured it (report modelMemoryMb; docs/models.md, "Memory"). */
  modelMemoryMb?: number;
  accuracy?: number;
  simulated?: boolean;
}

/** What a deployment target affords. Every field is optional; an absent one is not checked. */
export interface Budget {
  maxLatencyP95Ms?: number;
  maxMemoryMb?: number;
  minAccuracy?: number;
}

/** Where a prediction came from, best first. */
export type LatencySource = 'measured' | 'class-fit' | 'fleet-fit' | 'prior';
export type MemorySource = 'measured' | 'fit' | 'prior';
export type AccuracySource = 'class-reports' | 'fleet-reports' | 'artifact-metrics' | 'unknown';

export class SelectionInputError extends Error {
  override readonly name = 'SelectionInputError';
}
