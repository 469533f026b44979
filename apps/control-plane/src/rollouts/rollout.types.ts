import type { Gates } from '@edgefleet/contracts';

/*
 * The vocabulary of a rollout: its plan (what POST /api/v1/rollouts validated, stored as it is) and the states it
 * moves through. The rules that move it live in rollout-decision.ts (pure) and are applied by RolloutDriver.
 */

export const ROLLOUT_STATES = ['scheduled', 'running', 'awaiting_approval', 'paused', 'rolling_back', 'rolled_back', 'completed', 'cancelled'] as const;
export type RolloutStateName = (typeof ROLLOUT_STATES)[number];
/** States the driver works on. */
export const DRIVEN_STATES = ['scheduled', 'running', 'rolling_back'] as const satisfies readonly RolloutStateName[];
export const FINAL_STATES = ['rolled_back', 'completed', 'cancelled'] as const satisfies readonly RolloutStateName[];
export const isFinal = (s: RolloutStateName): boolean => (FINAL_STATES as readonly RolloutStateName[]).includes(s);

/** What a rollout installs: one artifact everywhere, or the variant of `family` selection picks for each class. */
export type RolloutWhat =
  | { artifactId: string }
  | { family: string; budget?: { maxLatencyP95Ms?: number; maxMemoryMb?: number; minAccuracy?: number } };

/** What a wave must show before the next one starts; every number is checked per device class. */
export interface SuccessCriteria {
  /** Share of the wave's finished devices whose model passed the gates and activated, %. */
  minPassPercent?: number;
  /** Median over devices of (p50 latency of the new model / p50 of the model the device ran before). */
  maxP50Ratio?: number;
  /** The same for p95. */
  maxP95Ratio?: number;
  /** Mean accuracy the devices measured on the eval set. */
  minAccuracy?: number;
  /** Mean accuracy may drop at most this much below what the same devices measured for their previous model. */
  maxAccuracyDrop?: number;
}

export interface WavePlan {
  /** Cumulative share of the segment reached at the end of this wave, % (1, 10, 50, 100). */
  percent?: number;
  /** Cumulative number of devices reached at the end of this wave (instead of percent). */
  count?: number;
  /** An operator must approve (POST …/approve) before the next wave starts. */
  requireApproval?: boolean;
  /** Mender's phase start time (ISO 8601): the wave notifies no device before it, even when the previous wave is done. */
  startAt?: string;
  success?: SuccessCriteria;
}

export interface AbortCriteria {
  /** Failed + rejected + timed-out devices, as % of the rollout's finished devices … */
  failurePercent: number;
  /** … once at least this many have finished. */
  minDevices: number;
  /** pause: wait for an operator; rollback: give every touched device its previous model back. */
  action: 'pause' | 'rollback';
}

export interface RatePlan {
  /** Devices notified per minute (AWS IoT Jobs' maximumPerMinute: 1–1000). */
  perMinute: number;
  /** Exponential ramp: the rate is multiplied by `factor` each time `every` more devices were notified, up to `maxPerMinute`. */
  ramp?: { factor: number; every: number; maxPerMinute: number };
}

/**
 * Per-device retries (AWS IoT Jobs' retry criteria, 0–10 per failure type): a device whose install ended this way is
 * notified again within the rollout, after an exponential backoff, before its failure counts for the abort criteria
 * and the wave's success criteria.
 */
export interface RetryPlan {
  /** Download, verification or load failed (the device reported `failed`). */
  failed?: number;
  /** The model failed the gates on the device (a noisy benchmark may pass the next time). */
  rejected?: number;
  /** The device did not finish within inProgressTimeoutMin. */
  timedOut?: number;
  /** First retry after this many seconds (± jitter, doubled per further attempt of the device); default 30. */
  backoffSec?: number;
  /**
   * Retries per minute, on top of the rollout's rate (which retries share with new notifications): a cap of their
   * own, so a mass failure does not stampede the fleet even in a rollout without a rate.
   */
  perMinute?: number;
}

export const DEFAULT_RETRY_BACKOFF_SEC = 30;

/** The outcomes a device may be retried after, and the plan's key for each. */
export const RETRYABLE = { failed: 'failed', rejected: 'rejected', timed_out: 'timedOut' } as const satisfies Record<string, keyof RetryPlan>;
export type FailureOutcome = keyof typeof RETRYABLE;

export interface RolloutPlan {
  waves: WavePlan[];
  /** The gates each device applies before it activates the model (as a deployment's). */
  gates: Gates;
  rate?: RatePlan;
  abort?: AbortCriteria;
  /** A notified device that has not finished after this long counts as timed out (a failure for abort criteria). */
  inProgressTimeoutMin?: number;
  retries?: RetryPlan;
  /** Daily UTC window in which devices are notified ("22:00"–"04:00" spans midnight). */
  window?: { start: string; end: string };
  /** Stage mode: the wave's devices fetch and verify first (desired state with `stage: true`); once all have, they switch together. */
  stage?: boolean;
}

/** What a device's row says about it, from its deployment row and report. */
export type DeviceOutcome = 'planned' | 'in_progress' | 'retrying' | 'staged' | 'active' | 'rejected' | 'failed' | 'timed_out' | 'left';

/** One device as the decision sees it. */
export interface DeviceHealth {
  deviceId: string;
  profileClass: string;
  wave: number;
  outcome: DeviceOutcome;
  /** When the rollout notified it, and how many times (the outbox guarantees 1). */
  notifiedAt?: Date;
  attempts?: number;
  /** retrying: when the device is notified again, and after which failure. */
  retryAt?: Date;
  failure?: FailureOutcome;
  /** Retries taken per failure type, and the failure the last one answered. */
  retries?: Partial<Record<FailureOutcome, number>>;
  lastFailure?: string;
  /** New model's measurements, when the device reported. */
  p50Ms?: number;
  p95Ms?: number;
  accuracy?: number;
  /** What the same device measured for the model it ran before. */
  baseline?: { p50Ms?: number; p95Ms?: number; accuracy?: number };
  /** The model the rollout gives it, and the one it ran when it was notified (the rollback target). */
  artifactId?: string;
  previousArtifactId?: string;
}

export interface ClassHealth {
  devices: number;
  finished: number;
  active: number;
  rejected: number;
  failed: number;
  timedOut: number;
  /** Failed once, waiting for a retry (not finished: counts for neither the abort nor the success criteria yet). */
  retrying: number;
  passPercent?: number;
  p50Ratio?: number;
  p95Ratio?: number;
  accuracy?: number;
  baselineAccuracy?: number;
}

export type DecisionAction =
  | 'start' | 'notify' | 'retry' | 'wait' | 'stage-switch' | 'advance' | 'await-approval' | 'complete' | 'pause' | 'rollback'
  | 'rolled-back' | 'resume' | 'approve' | 'cancel' | 'join';

/** What the driver does next, and why (stored with the numbers it was taken on for every action but notify/wait). */
export interface Decision {
  action: DecisionAction;
  reason: string;
  /** notify: how many of the wave's planned devices to notify now; retry: how many devices are due. */
  count?: number;
  metrics?: Record<string, unknown>;
}
