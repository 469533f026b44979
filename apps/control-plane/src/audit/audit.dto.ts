import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '@edgefleet/platform';
import { IsInstant } from '@edgefleet/contracts';

export class ListAuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'apikey:3f2c…', description: 'Who: `apikey:<id>`, `device:<id>`, `ip:<address>` or `system`' })
  @IsOptional() @IsString() @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ example: 'deployment.cancel' })
  @IsOptional() @IsString() @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ example: 'deployment', description: 'The kind of subject (device, model, deployment, target, …)' })
  @IsOptional() @IsString() @MaxLength(100)
  entityType?: string;

  @ApiPropertyOptional({ description: 'The subject\'s id' })
  @IsOptional() @IsString() @MaxLength(200)
  entityId?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-01T00:00:00Z', description: 'Events at or after this time' })
  @IsOptional() @IsInstant()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-02T00:00:00Z', description: 'Events before this time' })
  @IsOptional() @IsInstant()
  to?: string;
}

export class AuditEventView {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() actor!: string;
  @ApiProperty() action!: string;
  @ApiProperty() entityType!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) entityId!: string | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) details!: Record<string, unknown> | null;
}

export const toAuditEventView = (e: { id: string; at: Date; actor: string; action: string; entityType: string; entityId: string | null; details: unknown }): AuditEventView => ({
  id: e.id, at: e.at.toISOString(), actor: e.actor, action: e.action, entityType: e.entityType, entityId: e.entityId,
  details: (e.details as Record<string, unknown> | null) ?? null,
});
