import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, Matches } from 'class-validator';
import { PageQueryDto } from '@edgefleet/platform';
import type { StoredApiKey } from './api-key.repository';
import { Role, ROLES } from './roles';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'dashboard (read only)' })
  @Matches(/^[^\u0000-\u001f]{1,128}$/, { message: 'name must be 1-128 printable characters' })
  name!: string;

  @ApiProperty({ enum: ROLES, description: 'viewer: reads · operator: fleet changes · enroller: only enrollment tokens · admin: everything' })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'The key stops working at this time' })
  @IsOptional() @Type(() => Date) @IsDate({ message: 'expiresAt must be an ISO 8601 date-time' })
  expiresAt?: Date;
}

export class ListApiKeysQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ default: false, description: 'Also list revoked keys' })
  @IsOptional() @Type(() => String) @IsIn(['true', 'false'])
  revoked?: 'true' | 'false';
}

/** A key as listed: never its secret or hash. */
export class ApiKeyView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'First characters of the key, to recognise it' }) prefix!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ enum: ['env', 'bootstrap', 'api'], description: 'ADMIN_API_KEY, generated at the first start, or created over the API' }) source!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) createdBy!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'Updated at most once a minute' }) lastUsedAt!: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
}

/** GET /api-keys/me: the key that made the request. */
export class CallerView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'The key itself: shown only in this answer, only its salted hash is stored' }) key!: string;
}

export function toApiKeyView(k: StoredApiKey): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    role: k.role,
    source: k.source,
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

