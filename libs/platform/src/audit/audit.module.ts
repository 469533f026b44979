import { Global, Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository';
import { RefusalAudit } from './refusal.audit';

/**
 * Global because every domain that mutates state records audit events: `AuditRepository.record(entry, tx)` inside
 * the change's transaction, `RefusalAudit.refused(source, reason)` for refused logins (aggregated per source).
 */
@Global()
@Module({ providers: [AuditRepository, RefusalAudit], exports: [AuditRepository, RefusalAudit] })
export class AuditModule {}
