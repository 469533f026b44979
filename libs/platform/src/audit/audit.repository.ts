import { Inject, Injectable } from '@nestjs/common';
import { Prisma, PrismaClient } from '@edgefleet/db';
import type { Db } from '../db/prisma-types';
import { readPage } from '../db/read-page';
import type { AuditEntry, AuditFilter } from './audit.types';

@Injectable()
export class AuditRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /** Pass the transaction client to record the event atomically with the change it describes. */
  async record(entry: AuditEntry, db: Db = this.prisma): Promise<void> {
    await db.auditEvent.create({
      data: {
        actor: entry.actor,
        action: entry.action,
        entityType: entry.entityType,
        entityId: entry.entityId ?? null,
        details: (entry.details ?? Prisma.JsonNull) as Prisma.InputJsonValue,
      },
    });
  }

  /** Events matching every given filter, newest first (ties in recording order, so pages never overlap). */
  page(filter: AuditFilter, page: { limit: number; offset: number }) {
    const where: Prisma.AuditEventWhereInput = {
      ...(filter.actor !== undefined ? { actor: filter.actor } : {}),
      ...(filter.action !== undefined ? { action: filter.action } : {}),
      ...(filter.entityType !== undefined ? { entityType: filter.entityType } : {}),
      ...(filter.entityId !== undefined ? { entityId: filter.entityId } : {}),
      ...(filter.from || filter.to ? { at: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } } : {}),
    };
    return readPage(
      page,
      (take) => this.prisma.auditEvent.findMany({ where, orderBy: [{ at: 'desc' }, { seq: 'desc' }], skip: page.offset, take }),
      () => this.prisma.auditEvent.count({ where }),
    );
  }

  /** Several events in one statement (a batch of device reports), in the caller's transaction. */
  async recordMany(entries: readonly AuditEntry[], db: Db = this.prisma): Promise<void> {
    if (entries.length === 0) return;
    await db.auditEvent.createMany({
      data: entries.map((entry) => ({
        actor: entry.actor,
        action: entry.action,
        entityType: entry.entityType,
        entityId: entry.entityId ?? null,
        details: (entry.details ?? Prisma.JsonNull) as Prisma.InputJsonValue,
      })),
    });
  }

  list(entityType: string, entityId: string) {
    return this.prisma.auditEvent.findMany({ where: { entityType, entityId }, orderBy: { at: 'asc' } });
  }
}
