import { Inject, Injectable } from '@nestjs/common';
import { Prisma, PrismaClient, Segment } from '@edgefleet/db';
import { ConflictError } from '@edgefleet/platform';
import { isUniqueViolation } from '@edgefleet/platform';
import { readPage } from '@edgefleet/platform';
import type { SegmentRecord, SegmentSelector } from './segment.types';

const toRecord = (s: Segment): SegmentRecord => ({
  id: s.id, name: s.name, selector: s.selector as SegmentSelector, createdBy: s.createdBy, createdAt: s.createdAt, updatedAt: s.updatedAt,
});

const json = (s: SegmentSelector) => JSON.parse(JSON.stringify(s)) as Prisma.InputJsonObject;

/** The Segment table. */
@Injectable()
export class SegmentRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async create(s: { name: string; selector: SegmentSelector; createdBy: string }): Promise<SegmentRecord> {
    return this.named(s.name, async () => toRecord(await this.prisma.segment.create({ data: { name: s.name, selector: json(s.selector), createdBy: s.createdBy } })));
  }

  async find(id: string): Promise<SegmentRecord | undefined> {
    const s = await this.prisma.segment.findUnique({ where: { id } });
    return s ? toRecord(s) : undefined;
  }

  async list(page: { limit: number; offset: number }): Promise<{ items: SegmentRecord[]; total: number }> {
    const { items, total } = await readPage(
      page,
      (take) => this.prisma.segment.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take, skip: page.offset }),
      () => this.prisma.segment.count(),
    );
    return { items: items.map(toRecord), total };
  }

  /** Undefined when the segment does not exist. */
  async update(id: string, changes: { name?: string; selector?: SegmentSelector }): Promise<SegmentRecord | undefined> {
    return this.named(changes.name ?? '', async () => {
      const { count } = await this.prisma.segment.updateMany({
        where: { id }, data: { ...(changes.name !== undefined ? { name: changes.name } : {}), ...(changes.selector ? { selector: json(changes.selector) } : {}) },
      });
      return count === 1 ? this.find(id) : undefined;
    });
  }

  /** False when it did not exist; ConflictError when a rollout still refers to it (the foreign key restricts). */
  async delete(id: string): Promise<boolean> {
    try {
      return (await this.prisma.segment.deleteMany({ where: { id } })).count === 1;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'P2003') throw new ConflictError('rollouts refer to this segment; it can be deleted once they are deleted');
      throw err;
    }
  }

  private async named<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a segment named ${JSON.stringify(name)} already exists`);
      throw err;
    }
  }
}
