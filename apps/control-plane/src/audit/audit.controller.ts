import { Get, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AuditRepository, InvalidInputError, mapPage, Page } from '@edgefleet/platform';
import { Roles } from '../auth/roles';
import { ApiController } from '../openapi/api-controller.decorator';
import { ApiPageResponse } from '../openapi/page.view';
import { AuditEventView, ListAuditQueryDto, toAuditEventView } from './audit.dto';

/**
 * The audit log, read. Operators and admins only: it names API keys and the addresses refused logins came from,
 * which a viewer key (a dashboard) has no need to see.
 */
@ApiController('audit')
@Roles('operator')
export class AuditController {
  constructor(private readonly audit: AuditRepository) {}

  @Get()
  @ApiOperation({ summary: 'Audit events, newest first, filtered by actor, action, subject and time range' })
  @ApiPageResponse(AuditEventView)
  async list(@Query() q: ListAuditQueryDto): Promise<Page<AuditEventView>> {
    const from = q.from ? new Date(q.from) : undefined;
    const to = q.to ? new Date(q.to) : undefined;
    if (from && to && from > to) throw new InvalidInputError('from must not be after to');
    const page = await this.audit.page({ actor: q.actor, action: q.action, entityType: q.entityType, entityId: q.entityId, from, to }, q);
    return mapPage({ ...page, limit: q.limit, offset: q.offset }, toAuditEventView);
  }
}
