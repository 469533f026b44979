import { Type } from 'class-transformer';
import {
  Equals, IsArray, IsObject, IsDefined, IsBase64, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max,
  MaxLength, Min, ValidateNested, ArrayMaxSize,
} from 'class-validator';
import { IsInstant } from './instant';
import { IsDeviceName, IsDeviceTags } from './device-fields';
import { Gates, HardwareProfile, TensorInfo } from './profile';
import { DEVICE_ID_PATTERN, MAX_BLOCK_SIZE, PROTOCOL_VERSION } from './topics';
import { KEY_ID_PATTERN } from './key-id';
import { EVAL_TASKS, type EvalTask } from './eval-set';
import { PlainData } from './compiled-check';

const SHA256 = /^[a-f0-9]{64}$/;
/**
 * Id of a device → control plane message that changes state (progress, report, telemetry). The control plane
 * stores it in the transaction of the change and acknowledges it on `…/ack` after the commit; the device resends
 * the message (same id) until then. A message without one is handled once, unacknowledged (agents before ids).
 */
export const MSG_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
const MAX_MODEL_BYTES = 2 * 1024 * 1024 * 1024 - 1;
/** Largest value of a PostgreSQL int4 column: every integer a device sends that is stored as Int stays below. */
export const INT32_MAX = 2 ** 31 - 1;
/** Blocks of the largest object at the smallest block size (1024 bytes). */
export const MAX_BLOCKS = Math.ceil((MAX_MODEL_BYTES + 1) / 1024);
/** Benchmark runs a device may report: far above what any agent does, far below int4. */
export const MAX_RUNS = 10_000_000;
/** Upper bound of any measured figure (ms, MB, samples/s, gate limits): a sane ceiling, not a real one. */
export const MAX_MEASURE = 1e9;

abstract class Versioned {
  @Equals(PROTOCOL_VERSION)
  v!: typeof PROTOCOL_VERSION;
}

/** device → control plane, `…/hello`: self-registration and the device's current state. */
export class HelloMessage extends Versioned {
  @Matches(DEVICE_ID_PATTERN)
  deviceId!: string;

  @IsOptional() @IsDeviceName()
  name?: string;

  @IsString() @MaxLength(64)
  agentVersion!: string;

  // IsDefined: ValidateNested alone lets a missing object through.
  @IsDefined() @ValidateNested() @Type(() => HardwareProfile)
  profile!: HardwareProfile;

  @IsOptional() @IsDeviceTags()
  tags?: string[];

  /** sha256 of the model the device is running now, if any. */
  @IsOptional() @Matches(SHA256)
  activeSha256?: string;
}

/** device → control plane, `…/status`, retained; the agent's last will publishes `offline`. */
export class StatusMessage extends Versioned {
  @IsIn(['online', 'offline'])
  state!: 'online' | 'offline';

  @IsOptional() @IsInstant()
  at?: string;
}

export class EvalSetRef {
  @Matches(SHA256)
  sha256!: string;

  @IsInt() @Min(1) @Max(MAX_MODEL_BYTES)
  size!: number;

  @IsInt() @Min(1) @Max(INT32_MAX)
  samples!: number;
}

/** What the device must fetch: everything needed to verify the bytes before they are used. */
export class ArtifactManifest {
  @IsString() @MaxLength(64)
  id!: string;

  @IsString() @MaxLength(128)
  name!: string;

  @IsString() @MaxLength(64)
  version!: string;

  @IsIn(['fp32', 'fp16', 'int8'])
  precision!: 'fp32' | 'fp16' | 'int8';

  @Matches(SHA256)
  sha256!: string;

  @IsInt() @Min(1) @Max(MAX_MODEL_BYTES)
  size!: number;

  @IsInt() @Min(1024) @Max(MAX_BLOCK_SIZE)
  blockSize!: number;

  @IsOptional() @ValidateNested() @Type(() => EvalSetRef)
  evalSet?: EvalSetRef;

  @IsOptional() @IsArray() @ArrayMaxSize(64) @ValidateNested({ each: true }) @Type(() => TensorInfo)
  inputs?: TensorInfo[];

  /**
   * Text models: the featurizer that turns text into the model's input (text-featurizer.ts). Kept as a plain
   * object here, so a featurizer this agent does not know still arrives and is refused with its reason
   * (`featurizerProblem`) instead of the whole message being dropped as malformed.
   */
  @IsOptional() @IsObject()
  featurizer?: Record<string, unknown>;

  /**
   * How to build the model's inputs for a benchmark (input-spec.ts): kept as a plain object for the same reason as
   * `featurizer`; the agent checks it with `inputSpecProblems` and refuses a bad one with its reason.
   */
  @IsOptional() @IsObject()
  inputSpec?: Record<string, unknown>;
}

/** Largest `seq` a desired state may carry: JSON numbers are exact up to here in every language's doubles. */
export const MAX_DESIRED_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * control plane → device, `…/desired`, retained: the model this device should run. Everything but `signature` is
 * signed (docs/security.md, "Signed updates"): the device it is for, a per-device sequence number that only grows
 * (rollback and replay protection), a validity window (freeze protection) and the signing key's id.
 */
export class DesiredStateMessage extends Versioned {
  /** The only device that may act on this message. */
  @Matches(DEVICE_ID_PATTERN)
  deviceId!: string;

  /** Per device, strictly increasing over every desired state the control plane signs for it. */
  @IsInt() @Min(1) @Max(MAX_DESIRED_SEQ)
  seq!: number;

  @IsString() @MaxLength(64)
  deploymentId!: string;

  @IsInstant()
  issuedAt!: string;

  /** After this instant the device refuses the message; the control plane re-signs open desired states before. */
  @IsInstant()
  expiresAt!: string;

  /** Which trusted key signed it (`keyIdOf` of its public key). */
  @IsString() @Matches(KEY_ID_PATTERN)
  keyId!: string;

  @IsDefined() @ValidateNested() @Type(() => ArtifactManifest)
  artifact!: ArtifactManifest;

  @IsDefined() @ValidateNested() @Type(() => Gates)
  gates!: Gates;

  /**
   * Rollout stage mode (docs/rollouts.md): fetch, verify and benchmark the model and judge the gates, but do not
   * activate it: a device whose model passed reports progress `staged` and keeps running its current model (one that
   * failed reports `rejected` as usual). A later desired state of the same deployment without the flag activates the
   * staged model at once, without benchmarking again. Signed with the rest.
   */
  @IsOptional() @IsBoolean()
  stage?: boolean;

  /** Ed25519 signature (base64) over `signingPayload(message)` by the key `keyId`. */
  @IsOptional() @IsBase64() @MaxLength(128)
  signature?: string;
}

/**
 * device → control plane, `…/block-req`: send blocks [index, index + count) of the object with this sha256
 * (the model or its eval set). Each comes back on `…/block/<sha256>/<index>` as raw bytes.
 */
@PlainData()
export class BlockRequestMessage extends Versioned {
  @Matches(SHA256)
  sha256!: string;

  @IsInt() @Min(0) @Max(MAX_BLOCKS - 1)
  index!: number;

  @IsOptional() @IsInt() @Min(1) @Max(64)
  count?: number;
}

export const PROGRESS_STATES = ['downloading', 'verifying', 'benchmarking', 'staged', 'failed'] as const;

/** device → control plane, `…/progress`. */
@PlainData()
export class ProgressMessage extends Versioned {
  @IsString() @MaxLength(64)
  deploymentId!: string;

  @Matches(SHA256)
  sha256!: string;

  @IsIn(PROGRESS_STATES)
  state!: (typeof PROGRESS_STATES)[number];

  @IsInt() @Min(0) @Max(MAX_BLOCKS)
  receivedBlocks!: number;

  @IsInt() @Min(0) @Max(MAX_BLOCKS)
  totalBlocks!: number;

  @IsOptional() @IsString() @MaxLength(2000)
  error?: string;

  /** Acknowledged on `…/ack` once stored (see MSG_ID_PATTERN); resent by the device until then. */
  @IsOptional() @Matches(MSG_ID_PATTERN)
  msgId?: string;
}

@PlainData()
export class LatencyStats {
  @IsNumber() @Min(0) @Max(MAX_MEASURE) p50Ms!: number;
  @IsNumber() @Min(0) @Max(MAX_MEASURE) p95Ms!: number;
  @IsNumber() @Min(0) @Max(MAX_MEASURE) p99Ms!: number;
  @IsNumber() @Min(0) @Max(MAX_MEASURE) meanMs!: number;
  @IsNumber() @Min(0) @Max(MAX_MEASURE) minMs!: number;
  @IsNumber() @Min(0) @Max(MAX_MEASURE) maxMs!: number;
}

@PlainData()
export class GateResult {
  @IsIn(['maxLatencyP95Ms', 'minAccuracy', 'maxMemoryMb'])
  gate!: 'maxLatencyP95Ms' | 'minAccuracy' | 'maxMemoryMb';

  @IsNumber() @Min(-MAX_MEASURE) @Max(MAX_MEASURE) limit!: number;

  @IsOptional() @IsNumber() @Min(-MAX_MEASURE) @Max(MAX_MEASURE) measured?: number;

  @IsBoolean() passed!: boolean;
}

/** Names of the task metrics a device reports (docs/models.md, "Task types"). */
export const TASK_METRICS = ['top1-accuracy', 'binary-accuracy', 'hamming-accuracy', 'mae'] as const;

/** The eval set's task, scored by its metric; `value` of an accuracy is also the report's `accuracy`. */
@PlainData()
export class TaskMetric {
  @IsIn(EVAL_TASKS) task!: EvalTask;
  @IsIn(TASK_METRICS) name!: (typeof TASK_METRICS)[number];
  @IsNumber() @Min(0) @Max(MAX_MEASURE) value!: number;
  /** regression: root-mean-square error beside the MAE. */
  @IsOptional() @IsNumber() @Min(0) @Max(MAX_MEASURE) rmse?: number;
  /** binary, multilabel: the probability threshold used. */
  @IsOptional() @IsNumber() @Min(0) @Max(1) threshold?: number;
}

export const REPORT_OUTCOMES = ['activated', 'rejected', 'failed'] as const;

/** device → control plane, `…/report`: the device's own benchmark of a model and what it did with it. */
@PlainData()
export class ReportMessage extends Versioned {
  @IsString() @MaxLength(64)
  deploymentId!: string;

  @Matches(SHA256)
  artifactSha256!: string;

  /** activated: passed every gate and now runs; rejected: a gate failed; failed: could not fetch/verify/load/run. */
  @IsIn(REPORT_OUTCOMES)
  outcome!: (typeof REPORT_OUTCOMES)[number];

  @IsOptional() @ValidateNested() @Type(() => LatencyStats)
  latency?: LatencyStats;

  @IsInt() @Min(0) @Max(MAX_RUNS) runs!: number;
  @IsInt() @Min(0) @Max(MAX_RUNS) warmupRuns!: number;

  @IsOptional() @IsNumber() @Min(0) @Max(MAX_MEASURE) throughputPerSec?: number;
  /** Peak resident memory of the process that loaded and ran the model (Node.js + runtime + model), MB. */
  @IsOptional() @IsNumber() @Min(0) @Max(MAX_MEASURE) peakRssMb?: number;
  /**
   * The model's own memory: that process' peak RSS minus its RSS with the runtime loaded and no model, MB. The
   * `maxMemoryMb` gate judges this figure (docs/models.md, "Memory").
   */
  @IsOptional() @IsNumber() @Min(0) @Max(MAX_MEASURE) modelMemoryMb?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) accuracy?: number;
  @IsOptional() @IsInt() @Min(0) @Max(INT32_MAX) evalSamples?: number;
  /** The eval set's task metric, named (absent without an eval set). */
  @IsOptional() @ValidateNested() @Type(() => TaskMetric)
  metric?: TaskMetric;

  /** 'eval-set' when measured on the artifact's eval set, 'synthetic' when inputs were generated. */
  @IsIn(['eval-set', 'synthetic'])
  inputSource!: 'eval-set' | 'synthetic';

  @IsArray() @ArrayMaxSize(8) @ValidateNested({ each: true }) @Type(() => GateResult)
  gateResults!: GateResult[];

  @IsOptional() @IsString() @MaxLength(2000)
  failureReason?: string;

  @IsBoolean() simulated!: boolean;

  @IsOptional() @IsNumber() @Min(1) @Max(MAX_MEASURE) slowdownFactor?: number;

  /**
   * p95 of each timed pass, in order, when the device measured more than once: a latency miss of at most
   * REMEASURE_FACTOR × the gate (the only gate failing) is measured once more before the model is rejected, and
   * `latency` is the faster pass. Absent after a single pass.
   */
  @IsOptional() @IsArray() @ArrayMaxSize(4) @IsNumber({}, { each: true }) @Min(0, { each: true }) @Max(MAX_MEASURE, { each: true })
  latencyP95Attempts?: number[];

  /** The model kept running when this one was not activated. */
  @IsOptional() @Matches(SHA256)
  previousSha256?: string;

  @IsInstant()
  measuredAt!: string;

  /** Acknowledged on `…/ack` once stored (see MSG_ID_PATTERN); resent by the device until then. */
  @IsOptional() @Matches(MSG_ID_PATTERN)
  msgId?: string;
}

/** control plane → device, `…/rejected`: why an inbound message was refused (best effort, QoS 0). */
export class RejectedMessage extends Versioned {
  @IsString() topic!: string;
  @IsString() @MaxLength(4000) reason!: string;
  /** The refused message's id, when it had one: refused for good, the device stops resending it. */
  @IsOptional() @Matches(MSG_ID_PATTERN) msgId?: string;
}

/**
 * control plane → device, `…/ack` (QoS 1): the message `msgId` is stored (committed), or was stored before (a
 * resend). The device drops it from its outbox (a progress or report) or deletes its windows (telemetry).
 */
export class AckMessage extends Versioned {
  @Matches(MSG_ID_PATTERN) msgId!: string;
}

/**
 * control plane → device, `…/query` (QoS 1): the device's row of `deploymentId` made no progress for longer than
 * its state's timeout; the device answers on `…/state`.
 */
export class StateQueryMessage extends Versioned {
  @IsString() @MaxLength(64)
  deploymentId!: string;
}

/** A download in progress on the device. */
export class PartialTransfer {
  @Matches(SHA256) sha256!: string;
  @IsInt() @Min(0) @Max(MAX_BLOCKS) receivedBlocks!: number;
  @IsInt() @Min(0) @Max(MAX_BLOCKS) totalBlocks!: number;
}

/** What the device did with the queried deployment, when it finished it. */
export class LastOutcome {
  @Matches(SHA256) sha256!: string;
  @IsIn(REPORT_OUTCOMES) outcome!: (typeof REPORT_OUTCOMES)[number];
  @IsOptional() @IsString() @MaxLength(2000) reason?: string;
}

/**
 * device → control plane, `…/state` (QoS 1): the answer to a StateQueryMessage — what the device has. The control
 * plane reconciles the row from it: a finished outcome finishes the row, a device without the deployment gets its
 * desired state again, a device still working keeps the row alive.
 */
export class DeviceStateMessage extends Versioned {
  /** The queried deployment. */
  @IsString() @MaxLength(64)
  deploymentId!: string;

  @IsOptional() @Matches(SHA256)
  activeSha256?: string;

  /** The deployment of the desired state the device holds. */
  @IsOptional() @IsString() @MaxLength(64)
  desiredDeploymentId?: string;

  @IsOptional() @ValidateNested() @Type(() => PartialTransfer)
  partial?: PartialTransfer;

  @IsOptional() @ValidateNested() @Type(() => LastOutcome)
  outcome?: LastOutcome;

  /** Working on something right now (transfer, verification, benchmark). */
  @IsBoolean()
  busy!: boolean;

  /** Progress/report messages not yet acknowledged (they are resent now). */
  @IsInt() @Min(0) @Max(INT32_MAX)
  unacknowledged!: number;
}
