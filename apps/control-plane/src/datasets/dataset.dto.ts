import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, Matches, Max, Min } from 'class-validator';
import type { DatasetRecord } from '@edgefleet/catalog';
import { BUILTIN_DATASETS, BuiltinDataset } from '@edgefleet/catalog';
import { IMAGE_SHAPE_PATTERN, isImageShape } from '@edgefleet/distill';

const NAME = /^[A-Za-z0-9._-]{1,128}$/;
const NAME_MESSAGE = 'name must be 1-128 characters of A-Z a-z 0-9 . _ -';

/** JSON body: register a built-in data set. */
export class RegisterBuiltinDatasetDto {
  @ApiProperty({ enum: BUILTIN_DATASETS }) @IsIn(BUILTIN_DATASETS)
  builtin!: BuiltinDataset;

  @ApiPropertyOptional({ description: 'default: the built-in name' }) @IsOptional() @Matches(NAME, { message: NAME_MESSAGE })
  name?: string;
}

/** Text fields of the multipart upload (numbers arrive as strings). */
export class UploadDatasetFieldsDto {
  @Matches(NAME, { message: NAME_MESSAGE })
  name!: string;

  @IsOptional() @Type(() => Number) @IsInt() @Min(2) @Max(1000)
  numClasses?: number;

  @IsOptional() @Type(() => Number) @IsNumber() @Min(0.01) @Max(0.9)
  testFraction?: number;

  @IsOptional() @Type(() => Number) @IsInt() @Min(0)
  splitSeed?: number;

  @IsOptional() @Matches(IMAGE_SHAPE_PATTERN, { message: 'imageShape must be HxW or CxHxW, e.g. 28x28' })
  imageShape?: string;
}

export class UploadDatasetFormDoc {
  @ApiProperty({ example: 'my-sensors' }) name!: string;
  @ApiPropertyOptional({ type: 'string', format: 'binary', description: 'CSV: label first, then features; optional header; .gz accepted' }) csv?: unknown;
  @ApiPropertyOptional({ type: 'string', format: 'binary', description: 'IDX train-images (plain or gzip)' }) trainImages?: unknown;
  @ApiPropertyOptional({ type: 'string', format: 'binary' }) trainLabels?: unknown;
  @ApiPropertyOptional({ type: 'string', format: 'binary' }) testImages?: unknown;
  @ApiPropertyOptional({ type: 'string', format: 'binary' }) testLabels?: unknown;
  @ApiPropertyOptional({ description: 'expected class count (inferred when absent)' }) numClasses?: number;
  @ApiPropertyOptional({ description: 'CSV: share of rows held out as the test set (default 1/7)' }) testFraction?: number;
  @ApiPropertyOptional({ description: 'CSV: shuffle rows with this seed before splitting' }) splitSeed?: number;
  @ApiPropertyOptional({ type: 'string', format: 'binary', description: 'text: training rows, JSONL ({"text": …, "label": …} per line) or CSV with a header naming a text and optionally a label column (docs/text.md)' })
  train?: unknown;
  @ApiPropertyOptional({ type: 'string', format: 'binary', description: 'text: test rows, as train' }) test?: unknown;
  @ApiPropertyOptional({ type: 'string', format: 'binary', description: 'text: labels.json, the class names in class order (default: the sorted training labels)' })
  labels?: unknown;
  @ApiPropertyOptional({ example: '28x28', description: 'CSV: the rows are images of this shape (HxW or CxHxW, row-major); without it they are tabular, whatever their feature count' })
  imageShape?: string;
}

export class DatasetView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['idx', 'csv', 'text'] }) format!: string;
  @ApiProperty({ example: 'upload' }) origin!: string;
  @ApiProperty() trainRows!: number;
  @ApiProperty() testRows!: number;
  @ApiProperty({ type: [Number], description: 'empty for text: a distillation\'s featurizer gives its samples their shape' }) sampleShape!: number[];
  @ApiProperty({ enum: ['tabular', 'image', 'text'], description: 'image: IDX files, or a CSV uploaded with imageShape; convolutions train only on images; text: distilled with a text teacher' })
  kind!: 'tabular' | 'image' | 'text';
  @ApiProperty() numClasses!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'role → { sha256, size, gzip } in the artifact store' })
  files!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export const toDatasetView = (d: DatasetRecord): DatasetView => ({
  id: d.id, name: d.name, format: d.format, origin: d.origin, trainRows: d.trainRows, testRows: d.testRows,
  sampleShape: d.sampleShape, kind: d.format === 'text' ? 'text' : isImageShape(d.sampleShape) ? 'image' : 'tabular', numClasses: d.numClasses, files: d.files as Record<string, unknown>, createdAt: d.createdAt.toISOString(),
});
