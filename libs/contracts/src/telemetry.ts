import { Type } from 'class-transformer';
import {
  ArrayMaxSize, Equals, IsArray, IsDefined, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateBy, ValidateNested,
} from 'class-validator';
import { IsInstant } from './instant';
import { PlainData } from './compiled-check';
import { INT32_MAX, MAX_MEASURE, MSG_ID_PATTERN } from './messages';
import { PROTOCOL_VERSION } from './topics';

/**
 * Telemetry, device → control plane on `…/devices/<id>/telemetry` (QoS 1). A message with windows carries a
 * `msgId` and is acknowledged on `…/ack` once its windows are committed; the device keeps the windows until then
 * and resends them. Stored once per window id, so a redelivered or resent batch changes nothing.
 * docs/telemetry.md describes the fields.
 */

/** Upper bounds (ms) of the latency histogram's buckets; one more bucket counts everything above the last. */
export const LATENCY_BUCKETS_MS: readonly number[] = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
/** Buckets of the probability-like histograms (top probability, top-2 margin, normalised entropy): [0, 0.1), …, [0.9, 1]. */
export const CONFIDENCE_BUCKETS = 10;
/** Most classes a window's class distribution carries (a larger output's classes above are counted in the last). */
export const MAX_TELEMETRY_CLASSES = 1024;
/** Windows in one telemetry message. */
export const MAX_WINDOWS_PER_BATCH = 64;
/** Default window length of the agent, seconds. */
export const DEFAULT_TELEMETRY_WINDOW_S = 60;

const SHA256 = /^[a-f0-9]{64}$/;
const WINDOW_ID = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * An array of at most `max` counts (integers in [0, INT32_MAX]), checked in ONE validator call: the same rule as
 * IsArray + ArrayMaxSize + IsInt/Min/Max with `each`, which cost three class-validator calls per element and were
 * 40 % of the control plane's telemetry ingest CPU (docs/telemetry.md, "Ingest throughput").
 */
const Counts = (max: number): PropertyDecorator => ValidateBy({
  name: 'isCountArray',
  constraints: [max, INT32_MAX],
  validator: {
    validate: (v: unknown) => Array.isArray(v) && v.length <= max && v.every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= INT32_MAX),
    defaultMessage: (a) => `${a?.property} must be an array of at most ${max} integers in [0, ${INT32_MAX}]`,
  },
});

/** Index of the latency bucket of `ms`. */
export function latencyBucket(ms: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
  return i < 0 ? LATENCY_BUCKETS_MS.length : i;
}

/** Index of the [0, 1] bucket of `x` (clamped). */
export function unitBucket(x: number): number {
  return Math.min(CONFIDENCE_BUCKETS - 1, Math.max(0, Math.floor(x * CONFIDENCE_BUCKETS)));
}

/** One aggregation window of the agent's served inferences. */
@PlainData()
export class TelemetryWindow {
  /** Unique per device: the idempotency key of the window. */
  @Matches(WINDOW_ID)
  id!: string;

  @IsInstant()
  start!: string;

  @IsInstant()
  end!: string;

  /** sha256 of the model that served the window's inferences (absent when none was active). */
  @IsOptional() @Matches(SHA256)
  model?: string;

  /** Inferences answered. */
  @IsInt() @Min(0) @Max(INT32_MAX)
  n!: number;

  /** Inferences that failed. */
  @IsInt() @Min(0) @Max(INT32_MAX)
  err!: number;

  /** Sum of latencies (ms), for the mean. */
  @IsNumber() @Min(0) @Max(MAX_MEASURE * 1000)
  latSum!: number;

  /** Sum of top-class probabilities, for the mean. */
  @IsNumber() @Min(0) @Max(INT32_MAX)
  pSum!: number;

  /** Counts per LATENCY_BUCKETS_MS bucket (+ overflow), length LATENCY_BUCKETS_MS.length + 1. */
  @Counts(LATENCY_BUCKETS_MS.length + 1)
  lat!: number[];

  /** Count of inferences per top class index. */
  @Counts(MAX_TELEMETRY_CLASSES)
  cls!: number[];

  /** Histogram of the top-class probability, CONFIDENCE_BUCKETS buckets. */
  @Counts(CONFIDENCE_BUCKETS)
  conf!: number[];

  /** Histogram of the top-2 margin. */
  @Counts(CONFIDENCE_BUCKETS)
  margin!: number[];

  /** Histogram of the entropy divided by ln(classes) (0 = certain, 1 = uniform). */
  @Counts(CONFIDENCE_BUCKETS)
  ent!: number[];
}

/** The agent's health at the time of sending. */
@PlainData()
export class Heartbeat {
  @IsInstant()
  at!: string;

  /** CPU used by the agent process since the previous heartbeat, fraction of one core. */
  @IsNumber() @Min(0) @Max(1024)
  cpu!: number;

  @IsNumber() @Min(0) @Max(MAX_MEASURE)
  rssMb!: number;

  /** Free space of the state directory's filesystem, MB. */
  @IsOptional() @IsNumber() @Min(0) @Max(MAX_MEASURE * 1000)
  diskFreeMb?: number;

  @IsNumber() @Min(0) @Max(MAX_MEASURE)
  uptimeS!: number;

  @IsString() @MaxLength(64)
  agentVersion!: string;

  @IsOptional() @Matches(SHA256)
  activeSha256?: string;
}

/**
 * device → control plane, `…/telemetry`: closed windows (oldest first) and a heartbeat. @PlainData: the ingest's
 * hot path checks it with the check compiled from these decorators (compiled-check.ts).
 */
@PlainData()
export class TelemetryMessage {
  @Equals(PROTOCOL_VERSION)
  v!: typeof PROTOCOL_VERSION;

  @IsArray() @ArrayMaxSize(MAX_WINDOWS_PER_BATCH) @ValidateNested({ each: true }) @Type(() => TelemetryWindow)
  windows!: TelemetryWindow[];

  @IsOptional() @IsDefined() @ValidateNested() @Type(() => Heartbeat)
  heartbeat?: Heartbeat;

  /** Windows the device's offline queue dropped (oldest first) since its previous message. */
  @IsOptional() @IsInt() @Min(0) @Max(INT32_MAX)
  dropped?: number;

  /**
   * Acknowledged on `…/ack` once every window of the message is committed (or was stored before); the device
   * deletes the windows then, and resends the message (same id) until then. Absent on a heartbeat alone and from
   * agents before acknowledged telemetry (their windows are stored, never acknowledged).
   */
  @IsOptional() @Matches(MSG_ID_PATTERN)
  msgId?: string;
}
