import { Inject, Injectable } from '@nestjs/common';
import { Prisma, PrismaClient } from '@edgefleet/db';
import type { Db } from '../db/prisma-types';

/** What ModelRepository.create does not set: lineage, metrics and MACs of a distilled artifact. */
@Injectable()
export class DistilledArtifactRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  async describe(id: string, info: { lineage: unknown; metrics: unknown; macs?: number }, db: Db = this.prisma): Promise<void> {
    await db.modelArtifact.update({
      where: { id },
      data: {
        lineage: info.lineage as Prisma.InputJsonValue,
        metrics: info.metrics as Prisma.InputJsonValue,
        ...(info.macs !== undefined ? { macs: BigInt(info.macs) } : {}),
      },
    });
  }
}
