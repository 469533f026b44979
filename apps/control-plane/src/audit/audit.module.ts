import { Global, Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository';

/** Global because every domain that mutates state records audit events. */
@Global()
@Module({ providers: [AuditRepository], exports: [AuditRepository] })
export class AuditModule {}
