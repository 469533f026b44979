import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * The bodies EMQX's HTTP authenticator and HTTP authorizer send, as configured in docs/security.md ("EMQX"):
 * the placeholders `${clientid}`, `${username}`, `${password}`, `${topic}`, `${action}` filled in by EMQX.
 */
export class BrokerAuthnDto {
  @ApiProperty({ maxLength: 256 }) @IsString() @MaxLength(256)
  clientid!: string;

  @ApiPropertyOptional({ maxLength: 256 }) @IsOptional() @IsString() @MaxLength(256)
  username?: string;

  @ApiPropertyOptional({ maxLength: 1024 }) @IsOptional() @IsString() @MaxLength(1024)
  password?: string;
}

export class BrokerAuthzDto {
  @ApiProperty({ maxLength: 256 }) @IsString() @MaxLength(256)
  clientid!: string;

  @ApiPropertyOptional({ maxLength: 256 }) @IsOptional() @IsString() @MaxLength(256)
  username?: string;

  @ApiProperty({ maxLength: 65535, description: 'Topic (publish) or topic filter (subscribe)' }) @IsString() @MaxLength(65535)
  topic!: string;

  @ApiProperty({ enum: ['publish', 'subscribe'] }) @IsIn(['publish', 'subscribe'])
  action!: 'publish' | 'subscribe';
}

/** EMQX reads `result` (and `is_superuser` from the authenticator); 200 with a JSON body. */
export class BrokerAuthResultView {
  @ApiProperty({ enum: ['allow', 'deny'] }) result!: 'allow' | 'deny';
  @ApiPropertyOptional({ description: 'Authentication only: always false (nobody skips the authorization check)' }) is_superuser?: boolean;
}
