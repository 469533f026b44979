import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { TensorInfoDto } from '../common/contract-dtos';
import { PageQueryDto } from '@edgefleet/platform';
import type { ModelRecord } from '@edgefleet/catalog';
import { EVAL_TASKS } from '@edgefleet/contracts';

export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** The text fields of the multipart upload (validated with the same class-validator rules as JSON bodies). */
export class UploadModelFieldsDto {
  @Matches(/^[A-Za-z0-9._-]{1,128}$/, { message: 'name must be 1-128 characters of A-Z a-z 0-9 . _ -' })
  name!: string;

  @Matches(/^[A-Za-z0-9._+-]{1,64}$/, { message: 'version must be 1-64 characters of A-Z a-z 0-9 . _ + -' })
  version!: string;

  @IsOptional() @IsIn(PRECISIONS)
  precision?: Precision;

  @IsOptional() @Matches(/^[A-Za-z0-9._-]{1,128}$/, { message: 'family must be 1-128 characters of A-Z a-z 0-9 . _ -' })
  family?: string;

  /** JSON of an input spec (libs/contracts input-spec.ts); parsed and checked by the controller. Its size is bounded by the multipart field limit (bootstrap.ts). */
  @IsOptional() @IsString()
  inputSpec?: string;
}


/** OpenAPI description of the multipart form (the controller reads the parts itself). */
export class UploadModelFormDoc {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The .onnx model file' }) file!: unknown;
  @ApiProperty({ example: 'mnist-mlp' }) name!: string;
  @ApiProperty({ example: '1.0.0' }) version!: string;
  @ApiPropertyOptional({ enum: PRECISIONS, default: 'fp32' }) precision?: Precision;
  @ApiPropertyOptional({ example: 'mnist' }) family?: string;
  @ApiPropertyOptional({ type: 'string', format: 'binary', description: 'Eval set (EFEV format, docs/models.md "Eval sets")' })
  evalSet?: unknown;
  @ApiPropertyOptional({
    description: 'JSON: how devices build the inputs for a benchmark (docs/models.md "Input specifications"). Needed when an input has a dynamic '
      + 'dimension besides the batch or is an integer scalar; a model that needs one and has none is refused (422, naming the input).',
    example: '{"inputs": {"input": {"shape": [1, 512]}, "sr": {"value": 16000}, "state": {"shape": [2, 1, 128], "fill": "zeros", "stateFrom": "stateN"}}}',
  })
  inputSpec?: string;
}

export class EvalSetView {
  @ApiProperty() sha256!: string;
  @ApiProperty() size!: number;
  @ApiProperty() samples!: number;
  @ApiProperty({ enum: EVAL_TASKS, description: 'What the eval set scores; its metric is named in every report (docs/models.md "Task types")' }) task!: string;
}

export class ModelView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ enum: PRECISIONS }) precision!: string;
  @ApiProperty() sha256!: string;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty({ type: [TensorInfoDto] }) inputs!: TensorInfoDto[];
  @ApiProperty({ type: [TensorInfoDto] }) outputs!: TensorInfoDto[];
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Weights (floating point and quantized)' }) params!: number | null;
  @ApiPropertyOptional({ type: EvalSetView, nullable: true }) evalSet!: EvalSetView | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'How devices build the inputs (docs/models.md "Input specifications")' })
  inputSpec!: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'Text models: the featurizer read from the model\'s metadata, sent to devices in the signed manifest (docs/text.md)' })
  featurizer!: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: String, nullable: true }) family!: string | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) metrics!: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'Where a distilled artifact comes from: job, role (teacher/student), teacher, data set, code version' })
  lineage!: Record<string, unknown> | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ListModelsQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional() @Matches(/^[A-Za-z0-9._-]{1,128}$/)
  name?: string;

  @ApiPropertyOptional()
  @IsOptional() @Matches(/^[A-Za-z0-9._-]{1,128}$/)
  family?: string;
}

export function toModelView(m: ModelRecord): ModelView {
  return {
    id: m.id,
    name: m.name,
    version: m.version,
    precision: m.precision,
    sha256: m.sha256,
    sizeBytes: m.sizeBytes,
    inputs: m.inputs as unknown as TensorInfoDto[],
    outputs: m.outputs as unknown as TensorInfoDto[],
    params: m.params,
    evalSet: m.evalSetSha256 ? { sha256: m.evalSetSha256, size: m.evalSetSize ?? 0, samples: m.evalSamples ?? 0, task: m.evalTask ?? 'multiclass' } : null,
    inputSpec: (m.inputSpec as Record<string, unknown> | null) ?? null,
    featurizer: (m.featurizer as Record<string, unknown> | null) ?? null,
    family: m.family,
    metrics: (m.metrics as Record<string, unknown> | null) ?? null,
    lineage: (m.lineage as Record<string, unknown> | null) ?? null,
    createdAt: m.createdAt.toISOString(),
  };
}
