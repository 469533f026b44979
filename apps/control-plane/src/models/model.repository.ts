import { Inject, Injectable } from '@nestjs/common';
import { readPage } from '../db/read-page';
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
  macs?: number;
  family?: string;
  evalSet?: { sha256: string; size: number; samples: number };
  featurizer?: object;
}

@Injectable()
export class ModelRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async create(model: NewModel, db: Db = this.prisma): Promise<ModelRecord> {
    const { evalSet, inputs, outputs, macs, featurizer, ...rest } = model;
    try {
      return await db.modelArtifact.create({
        data: {
          ...rest,
          ...(macs !== undefined ? { macs: BigInt(macs) } : {}),
          storageKey: model.sha256,
          inputs: inputs as unknown as Prisma.InputJsonArray,
          outputs: outputs as unknown as Prisma.InputJsonArray,
          ...(featurizer ? { featurizer: featurizer as Prisma.InputJsonObject } : {}),
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
    return readPage(
      page,
      (take) => this.prisma.modelArtifact.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take, skip: page.offset }),
      () => this.prisma.modelArtifact.count({ where }),
    );
  }
}
