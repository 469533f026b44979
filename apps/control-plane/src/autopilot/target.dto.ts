import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsInt, IsNumber, IsObject, IsOptional, IsPositive, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '@edgefleet/platform';
import { CreateDistillationDto } from '@edgefleet/distillation-worker';
import { AUTOPILOT_STATUSES, ClassStateRecord, TargetRecord } from './autopilot.types';

const NAME = /^[A-Za-z0-9._-]{1,100}$/;

export class TargetSelectorDto {
  @ApiPropertyOptional({ type: [String], description: 'devices carrying any of these tags (none: every device)' })
  @IsOptional() @IsArray() @ArrayMaxSize(64) @IsString({ each: true }) @MaxLength(64, { each: true })
  tags?: string[];
}

export class TargetBudgetDto {
  @ApiProperty({ minimum: 0, exclusiveMinimum: true, maximum: 3_600_000, description: 'p95 latency a model may take on a device, ms (also the deployment gate)' })
  @IsNumber() @IsPositive() @Max(3_600_000)
  maxLatencyP95Ms!: number;

  @ApiPropertyOptional() @IsOptional() @IsNumber() @IsPositive() @Max(1_048_576)
  maxMemoryMb?: number;

  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(0) @Max(1)
  minAccuracy?: number;
}

/**
 * The distill settings a target keeps for the jobs it queues: the fields of POST /distillations they are passed to,
 * with that request's own rules (one grammar for textTeacher, the hyper-parameters' bounds).
 */
export class TargetDistillDto extends PickType(CreateDistillationDto, [
  'datasetId', 'teacherArtifactId', 'textTeacher', 'featurizer', 'epochs', 'temperature', 'alpha', 'labeledFraction',
] as const) {}

export class CreateTargetDto {
  @ApiProperty({ example: 'line-3-cameras' }) @Matches(NAME, { message: 'name must be 1-100 characters of A-Z a-z 0-9 . _ -' })
  name!: string;

  @ApiProperty({ description: 'model family the variants come from', example: 'fashion' })
  @Matches(NAME, { message: 'family must be 1-100 characters of A-Z a-z 0-9 . _ -' })
  family!: string;

  @ApiProperty({ type: TargetSelectorDto }) @IsObject() @ValidateNested() @Type(() => TargetSelectorDto)
  selector!: TargetSelectorDto;

  @ApiProperty({ type: TargetBudgetDto }) @IsObject() @ValidateNested() @Type(() => TargetBudgetDto)
  budget!: TargetBudgetDto;

  @ApiPropertyOptional({ type: TargetDistillDto, description: 'how to distil a student when no variant fits (without it: no distillation)' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => TargetDistillDto)
  distill?: TargetDistillDto;
}

export class ClassStateView {
  @ApiProperty() profileClass!: string;
  @ApiProperty({ enum: AUTOPILOT_STATUSES }) status!: string;
  @ApiPropertyOptional({ type: String, nullable: true, enum: ['use-existing', 'distill-student', 'no-feasible-student'] }) decision!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) chosenArtifactId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) distillationJobId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) deploymentId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) reason!: string | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'chosen / closest candidate, student, rejected variants' })
  details!: unknown;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class TargetView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() family!: string;
  @ApiProperty({ type: TargetSelectorDto }) selector!: TargetSelectorDto;
  @ApiProperty({ type: TargetBudgetDto }) budget!: TargetBudgetDto;
  @ApiPropertyOptional({ type: TargetDistillDto, nullable: true }) distill!: TargetDistillDto | null;
  @ApiPropertyOptional({ type: String, nullable: true }) createdBy!: string | null;
  @ApiProperty({ description: 'true while an operator has paused the autopilot for this target' }) paused!: boolean;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) pausedAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) pausedBy!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class TargetDetailView extends TargetView {
  @ApiProperty({ type: [ClassStateView], description: 'one row per device class among the target\'s devices' }) classes!: ClassStateView[];
}

export class ListTargetsQueryDto extends PageQueryDto {}

export const toTargetView = (t: TargetRecord): TargetView => ({
  id: t.id, name: t.name, family: t.family, selector: t.selector, budget: t.budget, distill: t.distill ?? null, createdBy: t.createdBy,
  paused: t.pausedAt !== null, pausedAt: t.pausedAt?.toISOString() ?? null, pausedBy: t.pausedBy, createdAt: t.createdAt.toISOString(),
});

export const toClassStateView = (s: ClassStateRecord): ClassStateView => ({
  profileClass: s.profileClass, status: s.status, decision: s.decision, chosenArtifactId: s.chosenArtifactId, distillationJobId: s.distillationJobId,
  deploymentId: s.deploymentId, reason: s.reason, details: s.details ?? null, updatedAt: s.updatedAt.toISOString(),
});
