import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { DEVICE_ID_PATTERN } from '@edgefleet/contracts';
import { GatesDto } from '../common/contract-dtos';
import { PageQueryDto } from '@edgefleet/platform';
import { ReportView, toReportView } from '../reports/report.dto';
import { DEVICE_STATES, DeploymentStatusName, DeviceState } from './deployment-state';
import type { DeploymentDetail, DeploymentWithArtifact } from './deployment.repository';

const STATUSES = ['in_progress', 'succeeded', 'partial', 'failed', 'cancelled'] as const;

export class CreateDeploymentDto {
  @ApiProperty({ description: 'Model artifact id (POST /api/v1/models)' })
  @IsString() @MaxLength(64)
  artifactId!: string;

  @ApiPropertyOptional({ type: [String], description: 'Target these devices …' })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10_000) @Matches(DEVICE_ID_PATTERN, { each: true, message: 'each device id must be 1-64 characters of A-Z a-z 0-9 . _ -' })
  deviceIds?: string[];

  @ApiPropertyOptional({ type: [String], description: '… and every device carrying any of these tags' })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(64) @IsString({ each: true }) @MaxLength(64, { each: true })
  tags?: string[];

  @ApiPropertyOptional({ type: GatesDto, description: 'The model becomes active on a device only if it passes these there' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => GatesDto)
  gates?: GatesDto;
}

export class ListDeploymentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional() @IsIn(STATUSES)
  status?: DeploymentStatusName;
}

export class DeploymentArtifactView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() version!: string;
  @ApiProperty() precision!: string;
  @ApiProperty() sha256!: string;
  @ApiProperty() sizeBytes!: number;
}

export class DeploymentDeviceView {
  @ApiProperty() deviceId!: string;
  @ApiProperty({ enum: DEVICE_STATES }) state!: DeviceState;
  @ApiProperty() receivedBlocks!: number;
  @ApiProperty() totalBlocks!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiPropertyOptional({ type: ReportView, nullable: true, description: 'The device\'s benchmark of this deployment' })
  report!: ReportView | null;
}

export class DeploymentView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: STATUSES }) status!: DeploymentStatusName;
  @ApiProperty({ type: DeploymentArtifactView }) artifact!: DeploymentArtifactView;
  @ApiProperty({ type: GatesDto }) gates!: GatesDto;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'deviceIds / tags as requested' }) target!: Record<string, unknown>;
  @ApiPropertyOptional({ type: String, nullable: true }) createdBy!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Devices per state' }) counts!: Partial<Record<DeviceState, number>>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class DeploymentDetailView extends DeploymentView {
  @ApiProperty({ type: [DeploymentDeviceView] }) devices!: DeploymentDeviceView[];
}

function countStates(rows: Array<{ state: DeviceState }>): Partial<Record<DeviceState, number>> {
  const counts: Partial<Record<DeviceState, number>> = {};
  for (const r of rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return counts;
}

/** `counts`: devices per state, counted by the database (list) or from the rows at hand (detail). */
export function toDeploymentView(d: DeploymentWithArtifact & { counts: Partial<Record<DeviceState, number>> }): DeploymentView {
  const a = d.artifact;
  return {
    id: d.id,
    status: d.status,
    artifact: { id: a.id, name: a.name, version: a.version, precision: a.precision, sha256: a.sha256, sizeBytes: a.sizeBytes },
    gates: d.gates as GatesDto,
    target: d.target as Record<string, unknown>,
    createdBy: d.createdBy,
    counts: d.counts,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

export function toDeploymentDetailView(d: DeploymentDetail): DeploymentDetailView {
  return {
    ...toDeploymentView({ ...d, counts: countStates(d.devices) }),
    devices: d.devices.map((r) => ({
      deviceId: r.deviceId,
      state: r.state,
      receivedBlocks: r.receivedBlocks,
      totalBlocks: r.totalBlocks,
      error: r.error,
      updatedAt: r.updatedAt.toISOString(),
      report: r.report ? toReportView(r.report) : null,
    })),
  };
}

export class DeploymentCancelView {
  @ApiProperty({ type: DeploymentDetailView, description: 'The cancelled deployment: rows of devices that had not activated it are superseded' })
  deployment!: DeploymentDetailView;

  @ApiProperty({ type: [DeploymentDetailView], description: 'One new deployment per model the devices ran before, giving it back to them' })
  reverts!: DeploymentDetailView[];
}
