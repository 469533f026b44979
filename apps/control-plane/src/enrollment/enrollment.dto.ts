import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested,
} from 'class-validator';
import { DEVICE_ID_PATTERN, IsDeviceName, IsDeviceTags } from '@edgefleet/contracts';
import { HardwareProfileDto } from '../common/contract-dtos';
import type { EnrollmentTokenRecord } from './enrollment-token.repository';
import { IsInstant } from '@edgefleet/contracts';

export class CreateEnrollmentTokenDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'After this the token enrolls nobody (default: never expires)' })
  @IsOptional() @IsInstant()
  expiresAt?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100000, default: 1 })
  @IsOptional() @IsInt() @Min(1) @Max(100000)
  maxUses?: number;

  @ApiPropertyOptional({ type: [String], description: 'Tags every device enrolled with the token gets' })
  @IsOptional() @IsDeviceTags()
  tags?: string[];

  @ApiPropertyOptional({ pattern: '^[0-9a-f]{16}$', description: 'Only devices of this hardware class (profileClass) may enroll, and their hellos may not leave it' })
  @IsOptional() @Matches(/^[0-9a-f]{16}$/, { message: 'profileClass must be 16 hex digits' })
  profileClass?: string;

  @ApiPropertyOptional({ default: true, description: 'true: creates new devices (an existing id is refused). false: only enrolls devices already registered over REST that carry the token\'s tags' })
  @IsOptional() @IsBoolean()
  allowCreate?: boolean;
}

export class EnrollmentTokenView {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'First characters of the token' }) prefix!: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty() maxUses!: number;
  @ApiProperty() uses!: number;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiPropertyOptional({ type: String, nullable: true }) profileClass!: string | null;
  @ApiProperty() allowCreate!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) createdBy!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
}

export class CreatedEnrollmentTokenView extends EnrollmentTokenView {
  @ApiProperty({ description: 'The secret devices present to POST /enroll. Shown once; only its SHA-256 is stored' }) token!: string;
}

export class EnrollDto {
  @ApiProperty() @IsString() @MinLength(16) @MaxLength(256)
  token!: string;

  @ApiProperty({ example: 'pi-kitchen-1', description: 'Becomes the MQTT username and client id' })
  @Matches(DEVICE_ID_PATTERN, { message: 'deviceId must be 1-64 characters of A-Z a-z 0-9 . _ -' })
  deviceId!: string;

  @ApiPropertyOptional() @IsOptional() @IsDeviceName()
  name?: string;

  @ApiProperty({ example: '0.1.0' }) @IsString() @MinLength(1) @MaxLength(64)
  agentVersion!: string;

  @ApiProperty({ type: HardwareProfileDto })
  @IsObject() @ValidateNested() @Type(() => HardwareProfileDto)
  profile!: HardwareProfileDto;

  @ApiPropertyOptional({ type: [String], description: 'Added to the token\'s tags (for a new device)' })
  @IsOptional() @IsDeviceTags()
  tags?: string[];
}

export class MqttLoginView {
  @ApiProperty({ description: 'Always the device id' }) clientId!: string;
  @ApiProperty({ description: 'Always the device id' }) username!: string;
  @ApiProperty({ description: 'Shown once; the agent keeps it in <stateDir>/credential.json (0600)' }) password!: string;
}

export class TrustedKeyView {
  @ApiProperty() keyId!: string;
  @ApiProperty({ enum: ['ed25519'] }) algorithm!: 'ed25519';
  @ApiProperty() publicKeyPem!: string;
}

export class EnrollmentView {
  @ApiProperty() deviceId!: string;
  @ApiProperty({ type: MqttLoginView }) mqtt!: MqttLoginView;
  @ApiProperty({ type: [TrustedKeyView] }) trustedKeys!: TrustedKeyView[];
}

export function toEnrollmentTokenView(t: EnrollmentTokenRecord): EnrollmentTokenView {
  return {
    id: t.id,
    prefix: t.prefix,
    expiresAt: t.expiresAt?.toISOString() ?? null,
    maxUses: t.maxUses,
    uses: t.uses,
    tags: t.tags,
    profileClass: t.profileClass,
    allowCreate: t.allowCreate,
    createdBy: t.createdBy,
    createdAt: t.createdAt.toISOString(),
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}
