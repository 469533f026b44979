import { ApiProperty, ApiPropertyOptional, IntersectionType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { DEFAULT_TEXT_FEATURIZER, DISTILL_DEFAULTS as D, MODEL_SPEC_PATTERN, TEACHER_ARCHS, TEACHER_SYNTAX, TEXT_TEACHER_PATTERN, type TeacherArch } from '@edgefleet/distill';
import type { JobRecord } from '@edgefleet/jobs';
import { PageQueryDto } from '@edgefleet/platform';
import type { DistillationPayload } from './distillation.types';

export class StudentBudgetDto {
  @ApiPropertyOptional({ description: 'largest parameter count allowed' }) @IsOptional() @IsInt() @Min(1)
  maxParams?: number;

  @ApiPropertyOptional({ description: 'largest multiply-accumulates per sample allowed' }) @IsOptional() @IsInt() @Min(1)
  maxMacs?: number;
}

/**
 * The hyper-parameters a request may set, with their bounds: checked on the REST body (flat) and again on the
 * queued job's payload (`hyper`). The OpenAPI defaults are the engine's (DISTILL_DEFAULTS), which the API applies.
 */
export class HyperParametersDto {
  @ApiPropertyOptional({ default: D.epochs, type: 'integer', minimum: 1, maximum: 500 }) @IsOptional() @IsInt() @Min(1) @Max(500) epochs?: number;
  @ApiPropertyOptional({ default: D.teacherEpochs, type: 'integer', minimum: 1, maximum: 500 }) @IsOptional() @IsInt() @Min(1) @Max(500) teacherEpochs?: number;
  @ApiPropertyOptional({ default: D.temperature, minimum: 1, maximum: 50 }) @IsOptional() @IsNumber() @Min(1) @Max(50) temperature?: number;
  @ApiPropertyOptional({ default: D.alpha, minimum: 0, maximum: 1 }) @IsOptional() @IsNumber() @Min(0) @Max(1) alpha?: number;
  @ApiPropertyOptional({ default: D.labeledFraction, minimum: 0.001, maximum: 1 }) @IsOptional() @IsNumber() @Min(0.001) @Max(1) labeledFraction?: number;
  @ApiPropertyOptional({ default: D.seed, type: 'integer', minimum: 0 }) @IsOptional() @IsInt() @Min(0) seed?: number;
  @ApiPropertyOptional({ default: D.batchSize, type: 'integer', minimum: 1, maximum: 8192 }) @IsOptional() @IsInt() @Min(1) @Max(8192) batchSize?: number;
  @ApiPropertyOptional({ default: D.patience, type: 'integer', minimum: 0, maximum: 500, description: 'early-stopping patience in epochs, 0 = off' }) @IsOptional() @IsInt() @Min(0) @Max(500) patience?: number;
}

/** What to distil from: shared by the request and its queued job. */
export class DistillationSourceDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID()
  datasetId!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'fp32 teacher model; without it a regularised teacher is trained first' }) @IsOptional() @IsUUID()
  teacherArtifactId?: string;

  @ApiPropertyOptional({ enum: TEACHER_ARCHS, description: 'architecture of the teacher trained when no teacherArtifactId is given (default: cnn for an image data set, mlp for a tabular one)' })
  @IsOptional() @IsIn(TEACHER_ARCHS)
  teacherArch?: TeacherArch;

  @ApiPropertyOptional({ example: 'use-lite', maxLength: 500, pattern: TEXT_TEACHER_PATTERN.source, description: `text data sets (required there): the teacher, ${TEACHER_SYNTAX} (docs/text.md); openai: URLs must be allowed by TEXT_TEACHER_ORIGINS` })
  @IsOptional() @IsString() @MaxLength(500) @Matches(TEXT_TEACHER_PATTERN, { message: `textTeacher must be ${TEACHER_SYNTAX}` })
  textTeacher?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: `text data sets: the students' featurizer spec (default: ${JSON.stringify(DEFAULT_TEXT_FEATURIZER)}; docs/text.md)` })
  @IsOptional() @IsObject()
  featurizer?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [String], example: ['mlp:64', 'cnn:8-16-32'], minItems: 1, maxItems: 8, items: { type: 'string', pattern: MODEL_SPEC_PATTERN.source, maxLength: 64 } })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(8) @IsString({ each: true }) @MaxLength(64, { each: true }) @Matches(MODEL_SPEC_PATTERN, { each: true })
  students?: string[];

  @ApiPropertyOptional({ type: StudentBudgetDto }) @IsOptional() @ValidateNested() @Type(() => StudentBudgetDto)
  targetBudget?: StudentBudgetDto;
}

/** Where the results go: optional in a request (the API fills them in), required in the queued job. */
export class DistillationOutputDto {
  @ApiProperty({ description: 'model family of the artifacts (a request without it uses the data set name)' })
  @Matches(/^[A-Za-z0-9._-]{1,100}$/)
  family!: string;

  @ApiProperty({ default: 1000, type: 'integer', minimum: 1, maximum: 10_000, description: 'test rows in the eval split shipped with each artifact' })
  @IsInt() @Min(1) @Max(10_000)
  evalSamples!: number;
}

/** POST /distillations. */
export class CreateDistillationDto extends IntersectionType(DistillationSourceDto, HyperParametersDto, PartialType(DistillationOutputDto)) {}

/**
 * A queued job's payload, checked with the same classes as the request when a worker takes it (the row may have
 * been written by another version, or by hand): a payload that fails is a job failed for good, with the reasons.
 */
export class DistillationPayloadDto extends IntersectionType(DistillationSourceDto, DistillationOutputDto) implements DistillationPayload {
  @IsDefined() @ValidateNested() @Type(() => HyperParametersDto)
  hyper!: HyperParametersDto;
}

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export class ListDistillationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES }) @IsOptional() @IsIn(JOB_STATUSES)
  status?: (typeof JOB_STATUSES)[number];
}

export class DistillationView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: JOB_STATUSES }) status!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the queued request (DistillationPayload)' }) request!: unknown;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'epoch, loss, valAccuracy, etaMs, …' })
  progress!: unknown;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'artifactIds, metrics' }) result!: unknown;
  @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty() maxAttempts!: number;
  @ApiProperty() cancelRequested!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) worker!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
}

export class CancelView {
  @ApiProperty({ enum: ['cancelled', 'cancel-requested', 'already-finished'] }) outcome!: string;
  @ApiProperty({ type: DistillationView }) job!: DistillationView;
}

export const toDistillationView = (j: JobRecord): DistillationView => ({
  id: j.id, status: j.status, request: j.payload, progress: j.progress, result: j.result, error: j.error,
  attempts: j.attempts, maxAttempts: j.maxAttempts, cancelRequested: j.cancelRequested, worker: j.lockedBy,
  createdAt: j.createdAt.toISOString(), startedAt: j.startedAt?.toISOString() ?? null, finishedAt: j.finishedAt?.toISOString() ?? null,
});
