import { ApiProperty, ApiPropertyOptional, getSchemaPath, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsPositive, IsUUID, Matches,
  Max, MaxLength, Min, ValidateIf, ValidateNested,
} from 'class-validator';
import { GatesDto } from '../common/contract-dtos';
import { PageQueryDto } from '@edgefleet/platform';
import type { RolloutDetail } from './rollout.service';
import type { RolloutRecord } from './rollout.repository';
import { ROLLOUT_STATES, type DeviceOutcome, type RolloutStateName } from './rollout.types';
import { RESOLUTIONS, type Resolution } from '../telemetry/telemetry.repository';
import { SeriesPointView, SeriesQueryDto } from '../telemetry/telemetry.dto';
import { IsInstant } from '@edgefleet/contracts';

const NAME = /^[A-Za-z0-9._-]{1,100}$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export class RolloutBudgetDto {
  @ApiPropertyOptional() @IsOptional() @IsNumber() @IsPositive() @Max(3_600_000) maxLatencyP95Ms?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @IsPositive() @Max(1_048_576) maxMemoryMb?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(0) @Max(1) minAccuracy?: number;
}

/** Exactly one of artifactId (one model everywhere) and family (selection's variant per device class). */
export class RolloutWhatDto {
  @ApiPropertyOptional({ description: 'one model artifact for every device' })
  @ValidateIf((o: RolloutWhatDto) => o.family === undefined) @IsUUID(undefined, { message: 'what needs artifactId (a model id) or family' })
  artifactId?: string;

  @ApiPropertyOptional({ description: 'the variant of this family that selection picks for each device class (GET /profiles/:class/recommendation)' })
  @ValidateIf((o: RolloutWhatDto) => o.artifactId === undefined) @Matches(NAME, { message: 'family must be 1-100 characters of A-Z a-z 0-9 . _ -' })
  family?: string;

  @ApiPropertyOptional({ type: RolloutBudgetDto, description: 'with family: the budget selection picks for (latency defaults to the class\'s budget)' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => RolloutBudgetDto)
  budget?: RolloutBudgetDto;
}

export class SuccessCriteriaDto {
  @ApiPropertyOptional({ description: '% of the wave\'s finished devices (per class) that passed the gates and activated' })
  @IsOptional() @IsNumber() @Min(0) @Max(100) minPassPercent?: number;
  @ApiPropertyOptional({ description: 'median over devices of new p50 / p50 of the model each ran before' })
  @IsOptional() @IsNumber() @IsPositive() @Max(1000) maxP50Ratio?: number;
  @ApiPropertyOptional({ description: 'the same for p95' })
  @IsOptional() @IsNumber() @IsPositive() @Max(1000) maxP95Ratio?: number;
  @ApiPropertyOptional({ description: 'mean accuracy measured on the devices' })
  @IsOptional() @IsNumber() @Min(0) @Max(1) minAccuracy?: number;
  @ApiPropertyOptional({ description: 'mean accuracy may drop at most this much below the previous model\'s on the same devices' })
  @IsOptional() @IsNumber() @Min(0) @Max(1) maxAccuracyDrop?: number;
}

export class WaveDto {
  @ApiPropertyOptional({ description: 'cumulative % of the segment reached at the end of the wave (the last wave is always 100)' })
  @ValidateIf((o: WaveDto) => o.count === undefined) @IsNumber() @Min(0.01) @Max(100)
  percent?: number;

  @ApiPropertyOptional({ description: 'cumulative number of devices reached at the end of the wave (instead of percent)' })
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000)
  count?: number;

  @ApiPropertyOptional({ description: 'POST …/approve is needed before the next wave starts' })
  @IsOptional() @IsBoolean() requireApproval?: boolean;

  @ApiPropertyOptional({ format: 'date-time', description: 'the wave notifies no device before this time (a phase start time, as Mender\'s)' })
  @IsOptional() @IsInstant() @MaxLength(40)
  startAt?: string;

  @ApiPropertyOptional({ type: SuccessCriteriaDto, description: 'checked per device class when the wave has finished' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => SuccessCriteriaDto)
  success?: SuccessCriteriaDto;
}

export class RampDto {
  @ApiProperty({ description: 'rate multiplier per step (AWS IoT Jobs: 1.1–5)' }) @IsNumber() @Min(1.1) @Max(5) factor!: number;
  @ApiProperty({ description: 'a step every this many notified devices' }) @IsInt() @Min(1) @Max(1_000_000) every!: number;
  @ApiProperty({ description: 'the ramp stops here' }) @IsInt() @Min(1) @Max(100_000) maxPerMinute!: number;
}

export class RateDto {
  @ApiProperty({ description: 'devices notified per minute (AWS IoT Jobs: 1–1000)' }) @IsInt() @Min(1) @Max(100_000) perMinute!: number;
  @ApiPropertyOptional({ type: RampDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => RampDto) ramp?: RampDto;
}

export class AbortDto {
  @ApiProperty({ description: 'failed + rejected + timed-out devices, % of the rollout\'s finished devices …' })
  @IsNumber() @Min(0) @Max(100) failurePercent!: number;
  @ApiProperty({ description: '… once at least this many finished' }) @IsInt() @Min(1) @Max(1_000_000) minDevices!: number;
  @ApiProperty({ enum: ['pause', 'rollback'], description: 'also what a wave that misses its success criteria does' })
  @IsIn(['pause', 'rollback']) action!: 'pause' | 'rollback';
}

export class RetryDto {
  @ApiPropertyOptional({ description: 'retries after a failed download, verification or load (AWS IoT Jobs: 0–10 per failure type)' })
  @IsOptional() @IsInt() @Min(0) @Max(10) failed?: number;
  @ApiPropertyOptional({ description: 'retries after the model failed the gates on the device' })
  @IsOptional() @IsInt() @Min(0) @Max(10) rejected?: number;
  @ApiPropertyOptional({ description: 'retries after the in-progress timeout' })
  @IsOptional() @IsInt() @Min(0) @Max(10) timedOut?: number;
  @ApiPropertyOptional({ default: 30, description: 'first retry after this many seconds (jittered, doubled per further attempt, at most 1 h)' })
  @IsOptional() @IsInt() @Min(1) @Max(3600) backoffSec?: number;
  @ApiPropertyOptional({ description: 'retries per minute at most, besides the rollout\'s rate (which retries share with new notifications): so a mass failure does not come back as a stampede' })
  @IsOptional() @IsInt() @Min(1) @Max(100_000) perMinute?: number;
}

export class WindowDto {
  @ApiProperty({ example: '22:00', description: 'UTC' }) @Matches(HHMM, { message: 'start must be HH:MM' }) start!: string;
  @ApiProperty({ example: '04:00', description: 'UTC; before start: the window spans midnight' }) @Matches(HHMM, { message: 'end must be HH:MM' }) end!: string;
}

export class CreateRolloutDto {
  @ApiProperty({ example: 'mlp-v2-site-a' }) @Matches(NAME, { message: 'name must be 1-100 characters of A-Z a-z 0-9 . _ -' })
  name!: string;

  @ApiProperty({ allOf: [{ $ref: getSchemaPath(RolloutWhatDto) }], anyOf: [{ required: ['artifactId'] }, { required: ['family'] }] })
  @IsObject() @ValidateNested() @Type(() => RolloutWhatDto)
  what!: RolloutWhatDto;

  @ApiProperty({ description: 'segment id (POST /api/v1/segments)' }) @IsUUID()
  segmentId!: string;

  @ApiPropertyOptional({ enum: ['dynamic', 'frozen'], default: 'frozen', description: 'dynamic: devices that match later join the current wave' })
  @IsOptional() @IsIn(['dynamic', 'frozen'])
  segmentMode?: 'dynamic' | 'frozen';

  @ApiPropertyOptional({ type: 'array', items: { allOf: [{ $ref: getSchemaPath(WaveDto) }], anyOf: [{ required: ['percent'] }, { required: ['count'] }] }, minItems: 1, maxItems: 20, description: 'default: one wave with every device' })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => WaveDto)
  waves?: WaveDto[];

  @ApiPropertyOptional({ type: GatesDto, description: 'each device activates the model only if it passes these there' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => GatesDto)
  gates?: GatesDto;

  @ApiPropertyOptional({ type: RateDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => RateDto)
  rate?: RateDto;

  @ApiPropertyOptional({ type: AbortDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => AbortDto)
  abort?: AbortDto;

  @ApiPropertyOptional({ description: 'a notified device that has not finished after this many minutes counts as timed out (1–10080)' })
  @IsOptional() @IsInt() @Min(1) @Max(10_080)
  inProgressTimeoutMin?: number;

  @ApiPropertyOptional({ type: RetryDto, description: 'per-device retries: a failed device is notified again before it counts as failed' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => RetryDto)
  retries?: RetryDto;

  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsInstant() @MaxLength(40)
  startAt?: string;

  @ApiPropertyOptional({ type: WindowDto, description: 'devices are notified only inside this daily UTC window' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => WindowDto)
  window?: WindowDto;

  @ApiPropertyOptional({ description: 'stage mode: the wave\'s devices download, verify and benchmark first (gates judged, model not activated); once every device of the wave has staged (or finished), all switch together' })
  @IsOptional() @IsBoolean()
  stage?: boolean;
}

export class ListRolloutsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ROLLOUT_STATES }) @IsOptional() @IsIn(ROLLOUT_STATES) state?: RolloutStateName;
}

export class RolloutActionDto {
  @ApiPropertyOptional({ description: 'why (kept with the decision)' }) @IsOptional() @Matches(/^[^\u0000-\u001f]{1,500}$/, { message: 'note must be 1-500 printable characters' })
  note?: string;
}

export class RolloutView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLLOUT_STATES }) state!: RolloutStateName;
  @ApiProperty({ description: 'index of the wave being rolled out' }) currentWave!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) segmentId!: string | null;
  @ApiProperty({ enum: ['dynamic', 'frozen'] }) segmentMode!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the segment selector as of creation' }) selector!: Record<string, unknown>;
  @ApiProperty({ type: RolloutWhatDto }) what!: RolloutWhatDto;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'waves, gates, rate, abort, timeout, window as requested' }) plan!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'profileClass → artifact id (empty: class left out)' }) artifacts!: Record<string, string>;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'why it is paused, rolling back, …' }) reason!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) createdBy!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'date-time' }) startAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'date-time', description: 'pacing counts notifications from here (wave start, resume, ramp step)' }) paceFrom!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'date-time' }) finishedAt!: string | null;
}

export class RolloutWaveView {
  @ApiProperty() wave!: number;
  @ApiProperty() devices!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'devices per outcome: planned, in_progress, retrying, staged, active, rejected, failed, timed_out, left' })
  counts!: Partial<Record<DeviceOutcome, number>>;
}

export class ClassHealthView {
  @ApiProperty() devices!: number;
  @ApiProperty() finished!: number;
  @ApiProperty() active!: number;
  @ApiProperty() rejected!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() timedOut!: number;
  @ApiProperty({ description: 'failed, waiting for a retry (not finished yet)' }) retrying!: number;
  @ApiPropertyOptional() passPercent?: number;
  @ApiPropertyOptional({ description: 'median new p50 / previous model\'s p50' }) p50Ratio?: number;
  @ApiPropertyOptional({ description: 'median new p95 / previous model\'s p95' }) p95Ratio?: number;
  @ApiPropertyOptional() accuracy?: number;
  @ApiPropertyOptional() baselineAccuracy?: number;
}

export class RolloutDecisionView {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() wave!: number;
  @ApiProperty({ description: 'start | join | retry | advance | await-approval | complete | pause | rollback | rolled-back | stage-switch | resume | approve | cancel' }) action!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ description: 'system or the operator\'s key' }) actor!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'the numbers the decision was taken on' }) metrics!: Record<string, unknown> | null;
}

export class BaselineView {
  @ApiPropertyOptional() p50Ms?: number;
  @ApiPropertyOptional() p95Ms?: number;
  @ApiPropertyOptional() accuracy?: number;
}

export class RolloutDeviceView {
  @ApiProperty() deviceId!: string;
  @ApiProperty() profileClass!: string;
  @ApiProperty() wave!: number;
  @ApiProperty() outcome!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'when the rollout committed its notification (the desired state is published right after)' }) notifiedAt?: string;
  @ApiPropertyOptional({ description: 'notifications of this device by the rollout (1 + retries)' }) attempts?: number;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'integer' }, description: 'retries taken per failure type (failed, rejected, timed_out)' }) retries?: Record<string, number>;
  @ApiPropertyOptional({ description: 'the failure being retried (outcome: retrying) or the one the last retry answered, "<outcome>: <device error>"' }) lastFailure?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'outcome retrying: when the device is notified again' }) retryAt?: string;
  @ApiPropertyOptional({ description: 'the model the rollout gives this device' }) artifactId?: string;
  @ApiPropertyOptional({ description: 'the model it ran when it was notified (what a rollback restores)' }) previousArtifactId?: string;
  @ApiPropertyOptional({ description: 'the new model\'s p50 as the device measured it' }) p50Ms?: number;
  @ApiPropertyOptional({ description: 'the new model\'s p95 as the device measured it' }) p95Ms?: number;
  @ApiPropertyOptional({ description: 'the new model\'s accuracy on the eval set, on the device' }) accuracy?: number;
  @ApiPropertyOptional({ type: BaselineView, description: 'what the same device measured for the model it ran before' }) baseline?: BaselineView;
}

export class FailureRateView {
  @ApiProperty({ description: 'devices finished (active, rejected, failed, timed out)' }) finished!: number;
  @ApiProperty({ description: 'rejected + failed + timed out' }) failures!: number;
  @ApiProperty() rejected!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() timedOut!: number;
  @ApiPropertyOptional({ description: 'failures as % of finished: what abort.failurePercent is compared with (once abort.minDevices finished)' }) percent?: number;
}

export class RolloutDetailView extends RolloutView {
  @ApiProperty({ type: [RolloutWaveView] }) waves!: RolloutWaveView[];
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/ClassHealthView' }, description: 'per device class, over the whole rollout' })
  classes!: Record<string, ClassHealthView>;
  @ApiProperty({ type: [RolloutDecisionView] }) decisions!: RolloutDecisionView[];
  @ApiProperty({ type: [String], description: 'the deployments the rollout made (one per wave and artifact, one per retry attempt, and its rollbacks)' }) deploymentIds!: string[];
  @ApiProperty({ type: [RolloutDeviceView] }) devices!: RolloutDeviceView[];
  @ApiProperty({ type: FailureRateView, description: 'over the whole rollout: the number the abort criteria judge' }) failureRate!: FailureRateView;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toRolloutView(r: RolloutRecord): RolloutView {
  return {
    id: r.id, name: r.name, state: r.state, currentWave: r.currentWave, segmentId: r.segmentId, segmentMode: r.segmentMode,
    selector: r.selector as Record<string, unknown>, what: r.what as RolloutWhatDto, plan: r.plan as unknown as Record<string, unknown>, artifacts: r.artifacts,
    reason: r.reason, createdBy: r.createdBy, startAt: iso(r.startAt), paceFrom: iso(r.paceFrom), createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(), finishedAt: iso(r.finishedAt),
  };
}

export function toRolloutDetailView(d: RolloutDetail): RolloutDetailView {
  return {
    ...toRolloutView(d.rollout),
    waves: d.waves,
    classes: d.classes,
    decisions: d.decisions.map((x) => ({ at: x.at.toISOString(), wave: x.wave, action: x.action, reason: x.reason, actor: x.actor, metrics: (x.metrics as Record<string, unknown> | null) ?? null })),
    deploymentIds: d.deploymentIds,
    devices: d.devices.map((x) => ({
      deviceId: x.deviceId, profileClass: x.profileClass, wave: x.wave, outcome: x.outcome, ...(x.notifiedAt ? { notifiedAt: x.notifiedAt.toISOString(), attempts: x.attempts } : {}),
      ...(x.retries ? { retries: x.retries } : {}), ...(x.lastFailure ? { lastFailure: x.lastFailure } : {}), ...(x.retryAt ? { retryAt: x.retryAt.toISOString() } : {}),
      ...(x.artifactId ? { artifactId: x.artifactId } : {}), ...(x.previousArtifactId ? { previousArtifactId: x.previousArtifactId } : {}),
      ...(x.p50Ms !== undefined ? { p50Ms: x.p50Ms } : {}), ...(x.p95Ms !== undefined ? { p95Ms: x.p95Ms } : {}), ...(x.accuracy !== undefined ? { accuracy: x.accuracy } : {}),
      ...(x.baseline ? { baseline: x.baseline } : {}),
    })),
    failureRate: d.failureRate,
  };
}

/** GET /rollouts/:id/telemetry: the range and resolution of GET /telemetry/series, with its rules and default. */
export class RolloutTelemetryQueryDto extends PickType(SeriesQueryDto, ['from', 'to', 'resolution'] as const) {}

export class RolloutModelSeriesView {
  @ApiProperty() modelId!: string;
  @ApiProperty({ enum: ['new', 'previous'], description: 'new: what the rollout installs; previous: what its devices ran before' }) role!: 'new' | 'previous';
  @ApiProperty({ description: 'notified devices given this model (new) or that ran it before (previous)' }) devices!: number;
  @ApiProperty({ type: [SeriesPointView], description: 'windows of the rollout\'s devices served by this model' }) points!: SeriesPointView[];
}

export class RolloutTelemetryView {
  @ApiProperty({ enum: RESOLUTIONS }) resolution!: Resolution;
  @ApiProperty({ description: 'devices the rollout notified (only their windows count)' }) devices!: number;
  @ApiProperty({ type: [RolloutModelSeriesView] }) models!: RolloutModelSeriesView[];
}
