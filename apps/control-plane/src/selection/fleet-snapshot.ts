import type { ClassProfile, Observation, Predictors, Variant } from '@edgefleet/selection';

/**
 * Everything a recommendation reads besides the asking class: the catalogue (with MACs), the reports, every
 * class's profile and the latency and memory models fitted on them. Built once per data watermark.
 */
export interface FleetSnapshot {
  watermark: string;
  variants: Variant[];
  observations: Observation[];
  classes: ClassProfile[];
  predictors: Predictors;
  /** Artifacts left out because their file could not be read. */
  skipped: string[];
  /** Wall time of loading and fitting (ms), for the log and the bench. */
  builtMs: number;
}
