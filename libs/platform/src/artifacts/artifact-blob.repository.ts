import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';
import type { Db } from '../db/prisma-types';

/** The ArtifactBlob and ArtifactChunk tables (ARTIFACT_STORE=database): content-addressed objects in chunks. */
@Injectable()
export class ArtifactBlobRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /** The stored object's size and chunking, or null when it is not stored (or not committed yet). */
  find(sha256: string): Promise<{ size: number; chunkBytes: number } | null> {
    return this.prisma.artifactBlob.findUnique({ where: { sha256 }, select: { size: true, chunkBytes: true } });
  }

  /**
   * Claims the object for writing inside `tx`: true when this transaction inserted its row (write the chunks,
   * then commit), false when another writer already has (a concurrent writer's row is waited for by PostgreSQL's
   * primary key, so false means it committed).
   */
  async claim(tx: Db, sha256: string, size: number, chunkBytes: number): Promise<boolean> {
    const { count } = await tx.artifactBlob.createMany({ data: [{ sha256, size, chunkBytes }], skipDuplicates: true });
    return count === 1;
  }

  // The chunk queries are raw SQL: Prisma's model API took 5× longer to write and 2× longer to read 1 MiB bytea
  // values on PostgreSQL (measured: 4 chunks, 3.8 s vs 0.77 s written, 1.07 s vs 0.52 s read, same run).
  async writeChunk(tx: Db, sha256: string, index: number, data: Buffer): Promise<void> {
    await tx.$executeRaw`INSERT INTO "ArtifactChunk" ("sha256", "index", "data") VALUES (${sha256}, ${index}, ${data})`;
  }

  /** Chunks `from`..`to` (inclusive) in order. */
  async chunks(sha256: string, from: number, to: number): Promise<Buffer[]> {
    const rows = await this.prisma.$queryRaw<{ data: Uint8Array }[]>`
      SELECT "data" FROM "ArtifactChunk" WHERE "sha256" = ${sha256} AND "index" BETWEEN ${from} AND ${to} ORDER BY "index"`;
    return rows.map((r) => Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
  }
}
