import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';

/** `GET /audit`; the repository is the platform's (AuditModule is global). */
@Module({ controllers: [AuditController] })
export class AuditApiModule {}
