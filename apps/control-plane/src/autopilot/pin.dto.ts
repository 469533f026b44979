import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '@edgefleet/platform';
import type { PinRecord } from './autopilot.types';

export class PinDeviceDto {
  @ApiPropertyOptional({ example: 'field test of a hand-picked model', description: 'Why the device is held (shown to other operators)' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(500)
  reason?: string;
}

export class PinView {
  @ApiProperty() deviceId!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty() pinnedBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ListPinsQueryDto extends PageQueryDto {}

export const toPinView = (p: PinRecord): PinView => ({ deviceId: p.deviceId, reason: p.reason, pinnedBy: p.pinnedBy, createdAt: p.createdAt.toISOString() });
