import { Inject, Injectable } from '@nestjs/common';
import { Dataset, Prisma, PrismaClient } from '@edgefleet/db';
import { ConflictError, isUniqueViolation } from '@edgefleet/platform';
import type { DatasetFiles, DatasetFormat, DatasetLoadOptions } from './dataset.types';

export type DatasetRecord = Dataset;

export interface NewDataset {
  name: string;
  format: DatasetFormat;
  origin: string;
  files: DatasetFiles;
  loadOptions: DatasetLoadOptions;
  trainRows: number;
  testRows: number;
  sampleShape: number[];
  numClasses: number;
}

@Injectable()
export class DatasetRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async create(d: NewDataset): Promise<DatasetRecord> {
    try {
      return await this.prisma.dataset.create({
        data: { ...d, files: d.files as Prisma.InputJsonObject, loadOptions: d.loadOptions as Prisma.InputJsonObject },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`data set ${JSON.stringify(d.name)} already exists`);
      throw err;
    }
  }

  async find(id: string): Promise<DatasetRecord | undefined> {
    return (await this.prisma.dataset.findUnique({ where: { id } })) ?? undefined;
  }

  /** False when there was no such data set. */
  async delete(id: string): Promise<boolean> {
    return (await this.prisma.dataset.deleteMany({ where: { id } })).count > 0;
  }

  async findByName(name: string): Promise<DatasetRecord | undefined> {
    return (await this.prisma.dataset.findUnique({ where: { name } })) ?? undefined;
  }

  async list(page: { limit: number; offset: number }): Promise<{ items: DatasetRecord[]; total: number }> {
    const [items, total] = await Promise.all([
      this.prisma.dataset.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: page.limit, skip: page.offset }),
      this.prisma.dataset.count(),
    ]);
    return { items, total };
  }
}
