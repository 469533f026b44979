import { Inject, Injectable } from '@nestjs/common';
import { ModelArtifact, Prisma, PrismaClient } from '@edgefleet/db';
import type { TensorInfo } from '@edgefleet/contracts';
import { ConflictError } from '../common/errors';
import { Db, isUniqueViolation } from '../db/prisma-types';

export type ModelRecord = ModelArtifact;

export interface NewModel {
  name: string;
  version: string;
  precision: string;
  sha256: string;
  sizeBytes: number;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  params?: number;
  family?: string;
  evalSet?: { sha256: string; size: number; samples: number };
  /** A distilled artifact's provenance (job, data set, teacher, hyper-parameters) and measured metrics. */
  lineage?: unknown;
  metrics?: unknown;
  /** Multiply-accumulates per sample, when known (counted by the distiller; selection counts the rest once). */
  macs?: number;
}

/** A catalogue row with what selection reads from it. */
export type CatalogueRow = Pick<ModelRecord,
  'id' | 'name' | 'version' | 'precision' | 'storageKey' | 'sizeBytes' | 'params' | 'macs' | 'metrics' | 'family' | 'inputs' | 'outputs'>;

/** The one repository of the ModelArtifact table: uploads, distillation results and selection all go through it. */
@Injectable()
export class ModelRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async create(model: NewModel, db: Db = this.prisma): Promise<ModelRecord> {
    const { evalSet, inputs, outputs, lineage, metrics, macs, ...rest } = model;
    try {
      return await db.modelArtifact.create({
        data: {
          ...rest,
          storageKey: model.sha256,
          inputs: inputs as unknown as Prisma.InputJsonArray,
          outputs: outputs as unknown as Prisma.InputJsonArray,
          ...(lineage !== undefined ? { lineage: lineage as Prisma.InputJsonValue } : {}),
          ...(metrics !== undefined ? { metrics: metrics as Prisma.InputJsonValue } : {}),
          ...(macs !== undefined ? { macs: BigInt(macs) } : {}),
          ...(evalSet ? { evalSetSha256: evalSet.sha256, evalSetSize: evalSet.size, evalSetKey: evalSet.sha256, evalSamples: evalSet.samples } : {}),
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`model ${model.name} ${model.version} (${model.precision}) already exists`);
      throw err;
    }
  }

  async exists(key: { name: string; version: string; precision: string }): Promise<boolean> {
    return (await this.prisma.modelArtifact.count({ where: key })) > 0;
  }

  async find(id: string, db: Db = this.prisma): Promise<ModelRecord | undefined> {
    return (await db.modelArtifact.findUnique({ where: { id } })) ?? undefined;
  }

  async findBySha256(sha256: string): Promise<ModelRecord | undefined> {
    return (await this.prisma.modelArtifact.findFirst({ where: { sha256 }, orderBy: { createdAt: 'desc' } })) ?? undefined;
  }

  async list(filter: { name?: string; family?: string }, page: { limit: number; offset: number }): Promise<{ items: ModelRecord[]; total: number }> {
    const where: Prisma.ModelArtifactWhereInput = {
      ...(filter.name ? { name: filter.name } : {}),
      ...(filter.family ? { family: filter.family } : {}),
    };
    const [items, total] = await Promise.all([
      this.prisma.modelArtifact.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: page.limit, skip: page.offset }),
      this.prisma.modelArtifact.count({ where }),
    ]);
    return { items, total };
  }

  /** The whole catalogue, oldest first, with the fields selection needs. */
  listCatalogue(): Promise<CatalogueRow[]> {
    return this.prisma.modelArtifact.findMany({
      select: { id: true, name: true, version: true, precision: true, storageKey: true, sizeBytes: true, params: true, macs: true, metrics: true, family: true, inputs: true, outputs: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /** Records MACs counted from the graph, so the next read does not count them again. */
  async saveMacs(id: string, macs: number): Promise<void> {
    await this.prisma.modelArtifact.updateMany({ where: { id, macs: null }, data: { macs: BigInt(macs) } });
  }
}
