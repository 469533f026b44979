import { Inject, Injectable } from '@nestjs/common';
import { readPage, ConflictError, Db, isUniqueViolation, ReadCache } from '@edgefleet/platform';
import { ModelArtifact, Prisma, PrismaClient } from '@edgefleet/db';
import type { TensorInfo } from '@edgefleet/contracts';

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
  /** Multiply-accumulates per sample, counted at upload / publish (selection counts older rows in memory). */
  macs?: number;
  family?: string;
  evalSet?: { sha256: string; size: number; samples: number; task?: string };
  featurizer?: object;
  /** How devices build the inputs for a benchmark (contracts input-spec.ts). */
  inputSpec?: object;
  /** A distilled artifact's provenance (job, data set, teacher, hyper-parameters) and measured metrics. */
  lineage?: unknown;
  metrics?: unknown;
}

/** A catalogue row with what selection reads from it. */
export type CatalogueRow = Pick<ModelRecord,
  'id' | 'name' | 'version' | 'precision' | 'storageKey' | 'sizeBytes' | 'params' | 'macs' | 'metrics' | 'family' | 'inputs' | 'outputs'>;

/** What the cached reads read. */
const MODEL_TABLES = ['ModelArtifact'] as const;

/** The one repository of the ModelArtifact table: uploads, distillation results and selection all go through it. */
@Injectable()
export class ModelRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient, private readonly cache: ReadCache) {}

  async create(model: NewModel, db: Db = this.prisma): Promise<ModelRecord> {
    const { evalSet, inputs, outputs, lineage, metrics, macs, featurizer, inputSpec, ...rest } = model;
    try {
      return await db.modelArtifact.create({
        data: {
          ...rest,
          ...(macs !== undefined ? { macs: BigInt(macs) } : {}),
          storageKey: model.sha256,
          inputs: inputs as unknown as Prisma.InputJsonArray,
          outputs: outputs as unknown as Prisma.InputJsonArray,
          ...(featurizer ? { featurizer: featurizer as Prisma.InputJsonObject } : {}),
          ...(inputSpec ? { inputSpec: inputSpec as Prisma.InputJsonObject } : {}),
          ...(lineage !== undefined ? { lineage: lineage as Prisma.InputJsonValue } : {}),
          ...(metrics !== undefined ? { metrics: metrics as Prisma.InputJsonValue } : {}),
          ...(evalSet ? { evalSetSha256: evalSet.sha256, evalSetSize: evalSet.size, evalSetKey: evalSet.sha256, evalSamples: evalSet.samples, evalTask: evalSet.task ?? 'multiclass' } : {}),
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`model ${model.name} ${model.version} (${model.precision}) already exists`);
      throw err;
    }
  }

  async delete(id: string, db: Db = this.prisma): Promise<void> {
    await db.modelArtifact.delete({ where: { id } });
  }

  async exists(key: { name: string; version: string; precision: string }): Promise<boolean> {
    return (await this.prisma.modelArtifact.count({ where: key })) > 0;
  }

  async find(id: string, db: Db = this.prisma): Promise<ModelRecord | undefined> {
    return (await db.modelArtifact.findUnique({ where: { id } })) ?? undefined;
  }

  /**
   * The artifact with these bytes. Several rows may share them (one file uploaded under two names, a distillation
   * that reproduced a variant): `prefer` — the row a device was known to run — wins when it is one of them, else
   * the newest. Without the preference a restarted device "changed" model to the twin row and the autopilot, which
   * compares ids, redeployed what it already ran.
   */
  async findBySha256(sha256: string, prefer?: string | null): Promise<ModelRecord | undefined> {
    const rows = await this.prisma.modelArtifact.findMany({ where: { sha256 }, orderBy: { createdAt: 'desc' } });
    return rows.find((r) => r.id === prefer) ?? rows[0];
  }

  /** The model as the API shows it: from the read cache until the table changes (shared: do not mutate). */
  findCached(id: string): Promise<ModelRecord | undefined> {
    return this.cache.read(MODEL_TABLES, `model:${id}`, () => this.find(id));
  }

  /** A page of the catalogue, from the read cache until the table changes (shared: do not mutate). */
  list(filter: { name?: string; family?: string }, page: { limit: number; offset: number }): Promise<{ items: ModelRecord[]; total: number }> {
    const where: Prisma.ModelArtifactWhereInput = {
      ...(filter.name ? { name: filter.name } : {}),
      ...(filter.family ? { family: filter.family } : {}),
    };
    return this.cache.read(MODEL_TABLES, `models:${JSON.stringify([filter.name, filter.family, page.limit, page.offset])}`, () =>
      readPage(
        page,
        (take) => this.prisma.modelArtifact.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take, skip: page.offset }),
        () => this.prisma.modelArtifact.count({ where }),
      ));
  }

  /** The whole catalogue, oldest first, with the fields selection needs. */
  listCatalogue(): Promise<CatalogueRow[]> {
    return this.prisma.modelArtifact.findMany({
      select: { id: true, name: true, version: true, precision: true, storageKey: true, sizeBytes: true, params: true, macs: true, metrics: true, family: true, inputs: true, outputs: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /** Count and newest creation time of the catalogue: equal values mean the same rows (they are only added or deleted). */
  async catalogueWatermark(): Promise<string> {
    const r = await this.prisma.modelArtifact.aggregate({ _count: { _all: true }, _max: { createdAt: true } });
    return `${r._count._all}:${r._max.createdAt?.getTime() ?? 0}`;
  }
}
