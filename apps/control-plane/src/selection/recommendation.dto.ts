import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNumber, IsOptional, IsPositive, Matches, Max, Min } from 'class-validator';
import type { RecommendationResult } from './selection.service';

export class RecommendationQueryDto {
  @ApiPropertyOptional({ example: 'fashion-mnist', description: 'Only variants of this model family are candidates' })
  @IsOptional() @Matches(/^[A-Za-z0-9._-]{1,128}$/, { message: 'family must be 1-128 characters of A-Z a-z 0-9 . _ -' })
  family?: string;

  @ApiPropertyOptional({ example: 20, description: 'p95 latency budget; defaults to the class profile\'s latencyBudgetMs' })
  @IsOptional() @Type(() => Number) @IsNumber() @IsPositive() @Max(600_000)
  maxLatencyP95Ms?: number;

  @ApiPropertyOptional({ example: 256, description: 'Memory budget (never above the class\'s RAM)' })
  @IsOptional() @Type(() => Number) @IsNumber() @IsPositive() @Max(16 * 1024 * 1024)
  maxMemoryMb?: number;

  @ApiPropertyOptional({ example: 0.85, minimum: 0, maximum: 1 })
  @IsOptional() @Type(() => Number) @IsNumber() @Min(0) @Max(1)
  minAccuracy?: number;
}

export class BudgetView {
  @ApiPropertyOptional() maxLatencyP95Ms?: number;
  @ApiPropertyOptional() maxMemoryMb?: number;
  @ApiPropertyOptional() minAccuracy?: number;
}

export class CandidateView {
  @ApiProperty() variantId!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional() version?: string;
  @ApiProperty({ example: 'fp32' }) precision!: string;
  @ApiProperty({ description: 'Multiply-accumulates per sample' }) macs!: number;
  @ApiPropertyOptional({ type: Number, nullable: true }) params?: number | null;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty() predictedLatencyP95Ms!: number;
  @ApiProperty({ enum: ['measured', 'class-fit', 'fleet-fit', 'prior'] }) latencySource!: string;
  @ApiProperty({ description: 'Reports the latency prediction rests on: of this variant on this class when measured, else of this class (0: prior only)' })
  latencyReports!: number;
  @ApiProperty({ type: [Number], minItems: 2, maxItems: 2, description: 'Where the p95 is expected to fall, ms: the prediction ÷ and × its source\'s typical error' })
  latencyIntervalMs!: number[];
  @ApiProperty() predictedMemoryMb!: number;
  @ApiProperty({ enum: ['measured', 'fit', 'prior'] }) memorySource!: string;
  @ApiPropertyOptional() accuracy?: number;
  @ApiProperty({ enum: ['class-reports', 'fleet-reports', 'artifact-metrics', 'unknown'] }) accuracySource!: string;
  @ApiProperty() fits!: boolean;
  @ApiProperty() chosen!: boolean;
  @ApiProperty({ type: [String], description: 'Every check against the budget, then the verdict' }) reasons!: string[];
  @ApiProperty({ description: 'max(predicted / allowed) over the checks; ≤ 1 fits' }) worstRatio!: number;
}

export class StudentProposalView {
  @ApiProperty({ example: 'mlp:64', description: 'Student in the distill syntax (distillation jobs\' `students`)' }) student!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'libs/distill ModelSpec' }) spec!: Record<string, unknown>;
  @ApiProperty() macs!: number;
  @ApiProperty() params!: number;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty() predictedLatencyP95Ms!: number;
  @ApiProperty() predictedMemoryMb!: number;
}

export class ClassModelView {
  @ApiProperty() profileClass!: string;
  @ApiProperty({ description: 'cores × MHz × SIMD lanes' }) score!: number;
  @ApiProperty({ enum: ['class-fit', 'fleet-fit', 'prior'] }) source!: string;
  @ApiProperty({ description: '(class, variant) pairs with reports' }) pairs!: number;
  @ApiProperty() overheadMs!: number;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'fp32 MACs per second / 1e9' }) throughputGmacPerSec!: number | null;
}

export class SizingView {
  @ApiProperty({ description: 'Students searched' }) searched!: number;
  @ApiProperty({ description: 'Students predicted within the budget (with headroom)' }) fitting!: number;
  @ApiProperty({ type: [String] }) reasons!: string[];
  @ApiPropertyOptional({ description: 'When no student fits by size: max(predicted / allowed) of the smallest student\'s latency and memory against the budget (no headroom)' })
  smallestWorstRatio?: number;
}

export class RecommendationView {
  @ApiProperty() profileClass!: string;
  @ApiPropertyOptional() family?: string;
  @ApiProperty({ type: BudgetView }) budget!: BudgetView;
  @ApiProperty({ enum: ['use-existing', 'distill-student', 'no-feasible-student'] }) decision!: string;
  @ApiPropertyOptional({ type: CandidateView }) chosen?: CandidateView;
  @ApiProperty({ type: [CandidateView] }) candidates!: CandidateView[];
  @ApiPropertyOptional({ type: StudentProposalView, description: 'When no variant fits: the student to distil' }) student?: StudentProposalView;
  @ApiPropertyOptional({ type: CandidateView, description: 'When nothing can fit: the variant nearest the budget' }) closest?: CandidateView;
  @ApiPropertyOptional({ type: StudentProposalView }) smallestStudent?: StudentProposalView;
  @ApiProperty({ type: ClassModelView }) classModel!: ClassModelView;
  @ApiProperty({ type: [String] }) reasons!: string[];
  @ApiPropertyOptional({ type: SizingView }) sizing?: SizingView;
  @ApiProperty({ type: [String], description: 'Artifacts left out (unreadable files)' }) skipped!: string[];
}

export function toRecommendationView(r: RecommendationResult): RecommendationView {
  const { line: _line, factor: _factor, ...cm } = r.classModel;
  return {
    ...r,
    student: r.student as unknown as StudentProposalView | undefined,
    smallestStudent: r.smallestStudent as unknown as StudentProposalView | undefined,
    // JSON has no Infinity: a class whose line has no slope gets null.
    classModel: { ...cm, throughputGmacPerSec: Number.isFinite(cm.throughputGmacPerSec) ? cm.throughputGmacPerSec : null },
  };
}
