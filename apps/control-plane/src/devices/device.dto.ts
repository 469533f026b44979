import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, Matches, ValidateNested } from 'class-validator';
import { DEVICE_ID_PATTERN, DEVICE_TAG_PATTERN, IsDeviceName, IsDeviceTags } from '@edgefleet/contracts';
import { HardwareProfileDto } from '../common/contract-dtos';
import { PageQueryDto } from '@edgefleet/platform';

export const DEVICE_STATUSES = ['registered', 'online', 'offline'] as const;
export type DeviceStatusName = (typeof DEVICE_STATUSES)[number];

export class CreateDeviceDto {
  @ApiProperty({ example: 'pi-kitchen-1', description: 'Also the device\'s MQTT client id: letters, digits, . _ - (≤ 64)' })
  @Matches(DEVICE_ID_PATTERN, { message: 'id must be 1-64 characters of A-Z a-z 0-9 . _ -' })
  id!: string;

  @ApiPropertyOptional({ example: 'Kitchen camera', description: 'Defaults to the id' })
  @IsOptional() @IsDeviceName()
  name?: string;

  @ApiPropertyOptional({ type: [String], example: ['site-a', 'camera'] })
  @IsOptional() @IsDeviceTags()
  tags?: string[];

  @ApiProperty({ type: HardwareProfileDto })
  @IsObject() @ValidateNested() @Type(() => HardwareProfileDto)
  profile!: HardwareProfileDto;
}

export class UpdateDeviceDto {
  @ApiPropertyOptional()
  @IsOptional() @IsDeviceName()
  name?: string;

  @ApiPropertyOptional({ type: [String], description: 'Replaces the tag list' })
  @IsOptional() @IsDeviceTags()
  tags?: string[];

  @ApiPropertyOptional({ type: HardwareProfileDto, description: 'Replaces the profile (and recomputes profileClass)' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => HardwareProfileDto)
  profile?: HardwareProfileDto;
}

export class ListDevicesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only devices carrying this tag' })
  @IsOptional() @Matches(DEVICE_TAG_PATTERN)
  tag?: string;

  @ApiPropertyOptional({ enum: DEVICE_STATUSES })
  @IsOptional() @IsIn(DEVICE_STATUSES)
  status?: DeviceStatusName;

  @ApiPropertyOptional({ description: 'Only devices of this hardware class' })
  @IsOptional() @Matches(/^[0-9a-f]{16}$/)
  profileClass?: string;
}

export class DeviceView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: HardwareProfileDto }) profile!: HardwareProfileDto;
  @ApiProperty({ description: 'Hash of the class-defining profile fields (profileClassOf in @edgefleet/contracts)' })
  profileClass!: string;
  @ApiProperty({ enum: DEVICE_STATUSES }) status!: DeviceStatusName;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) lastSeenAt!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) agentVersion!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) activeArtifactId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

/** A device's MQTT login: username = client id = device id. The password is shown once. */
export class DeviceCredentialView {
  @ApiProperty() username!: string;
  @ApiProperty({ description: 'Shown once; only a salted scrypt hash is stored' }) password!: string;
}

export class CreatedDeviceView extends DeviceView {
  @ApiProperty({ type: DeviceCredentialView }) credential!: DeviceCredentialView;
}

export class ReportQueryDto extends PageQueryDto {}

export function toDeviceView(d: {
  id: string; name: string; tags: string[]; profile: unknown; profileClass: string; status: string;
  lastSeenAt: Date | null; agentVersion: string | null; activeArtifactId: string | null; createdAt: Date; updatedAt: Date;
}): DeviceView {
  return {
    id: d.id,
    name: d.name,
    tags: d.tags,
    profile: d.profile as HardwareProfileDto,
    profileClass: d.profileClass,
    status: d.status as DeviceStatusName,
    lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
    agentVersion: d.agentVersion,
    activeArtifactId: d.activeArtifactId,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}
