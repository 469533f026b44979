import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { DEVICE_ID_PATTERN } from '@edgefleet/contracts';
import type { SegmentPreview, SegmentRecord, SegmentSelector } from './segment.types';

const NAME = /^[A-Za-z0-9._-]{1,100}$/;
const ID_MESSAGE = 'each device id must be 1-64 characters of A-Z a-z 0-9 . _ -';
const strings = (max: number) => [IsOptional(), IsArray(), ArrayMaxSize(max), IsString({ each: true }), MaxLength(128, { each: true })];
const apply = (decorators: PropertyDecorator[]): PropertyDecorator => (target, key) => decorators.forEach((d) => d(target, key));

/** segment.types.ts SegmentSelector at the HTTP door. */
export class SegmentSelectorDto implements SegmentSelector {
  @ApiPropertyOptional({ type: [String], description: 'devices carrying any of these tags' })
  @apply(strings(64)) tags?: string[];

  @ApiPropertyOptional({ type: [String], description: 'devices of any of these hardware classes' })
  @apply(strings(64)) profileClasses?: string[];

  @ApiPropertyOptional({ type: [String], description: 'devices whose agent reported any of these versions' })
  @apply(strings(64)) agentVersions?: string[];

  @ApiPropertyOptional({ type: [String], description: 'devices running any of these artifacts (`none`: devices running no model)' })
  @apply(strings(64)) activeArtifactIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'only these devices' })
  @IsOptional() @IsArray() @ArrayMaxSize(10_000) @Matches(DEVICE_ID_PATTERN, { each: true, message: ID_MESSAGE })
  deviceIds?: string[];

  @ApiPropertyOptional({ type: [String], description: 'never these devices' })
  @IsOptional() @IsArray() @ArrayMaxSize(10_000) @Matches(DEVICE_ID_PATTERN, { each: true, message: ID_MESSAGE })
  excludeDeviceIds?: string[];
}

export class CreateSegmentDto {
  @ApiProperty({ example: 'site-a-cameras' }) @Matches(NAME, { message: 'name must be 1-100 characters of A-Z a-z 0-9 . _ -' })
  name!: string;

  @ApiProperty({ type: SegmentSelectorDto, description: 'AND over the criteria given, OR within each; {} is every device' })
  @IsObject() @ValidateNested() @Type(() => SegmentSelectorDto)
  selector!: SegmentSelectorDto;
}

export class UpdateSegmentDto {
  @ApiPropertyOptional() @IsOptional() @Matches(NAME, { message: 'name must be 1-100 characters of A-Z a-z 0-9 . _ -' })
  name?: string;

  @ApiPropertyOptional({ type: SegmentSelectorDto, description: 'replaces the selector' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => SegmentSelectorDto)
  selector?: SegmentSelectorDto;
}

export class PreviewSegmentDto {
  @ApiProperty({ type: SegmentSelectorDto }) @IsObject() @ValidateNested() @Type(() => SegmentSelectorDto)
  selector!: SegmentSelectorDto;
}

export class SegmentView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: SegmentSelectorDto }) selector!: SegmentSelectorDto;
  @ApiPropertyOptional({ type: String, nullable: true }) createdBy!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class SegmentSampleView {
  @ApiProperty() id!: string;
  @ApiProperty() profileClass!: string;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiPropertyOptional({ type: String, nullable: true }) agentVersion!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) activeArtifactId!: string | null;
}

export class SegmentPreviewView {
  @ApiProperty({ description: 'devices the selector matches now' }) count!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'matching devices per hardware class' })
  classes!: Record<string, number>;
  @ApiProperty({ type: [SegmentSampleView], description: 'the first matching devices by id' }) sample!: SegmentSampleView[];
}

export class SegmentDetailView extends SegmentView {
  @ApiProperty({ type: SegmentPreviewView, description: 'what the selector matches now' }) preview!: SegmentPreviewView;
}

export const toSegmentView = (s: SegmentRecord): SegmentView => ({
  id: s.id, name: s.name, selector: s.selector, createdBy: s.createdBy, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString(),
});

export const toSegmentPreviewView = (p: SegmentPreview): SegmentPreviewView => p;
