import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import type { HardwareProfile } from './profile';
import { DEVICE_ID_PATTERN } from './topics';
import { TrustedKey } from './trusted-keys';

/** Body of `POST /api/v1/enroll` (the control plane validates it with its DTO; the agent builds it). */
export interface EnrollRequestBody {
  token: string;
  deviceId: string;
  name?: string;
  agentVersion: string;
  profile: HardwareProfile;
  tags?: string[];
}

/** MQTT login of one device: clientId = username = deviceId. */
export class MqttCredential {
  @IsOptional() @Matches(DEVICE_ID_PATTERN)
  clientId?: string;

  @Matches(DEVICE_ID_PATTERN)
  username!: string;

  @IsString() @MinLength(1) @MaxLength(256)
  password!: string;
}

/** 201 of `POST /api/v1/enroll`: the device's credential (shown once) and the keys its desired states are signed with. */
export class EnrollResponse {
  @Matches(DEVICE_ID_PATTERN)
  deviceId!: string;

  @IsDefined() @ValidateNested() @Type(() => MqttCredential)
  mqtt!: MqttCredential;

  @IsArray() @ArrayMaxSize(8) @ValidateNested({ each: true }) @Type(() => TrustedKey)
  trustedKeys!: TrustedKey[];
}

/** What an agent keeps in `<stateDir>/credential.json` (mode 0600). */
export class DeviceCredential {
  @Matches(DEVICE_ID_PATTERN)
  deviceId!: string;

  @Matches(DEVICE_ID_PATTERN)
  username!: string;

  @IsString() @MinLength(1) @MaxLength(256)
  password!: string;

  @IsArray() @ArrayMaxSize(8) @ValidateNested({ each: true }) @Type(() => TrustedKey)
  trustedKeys!: TrustedKey[];

  @IsOptional() @IsString() @MaxLength(2048) @Matches(/^https?:\/\//)
  apiUrl?: string;
}
