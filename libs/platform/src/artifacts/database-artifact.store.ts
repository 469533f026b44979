import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { UnitOfWork } from '../db/unit-of-work';
import { ArtifactBlobRepository } from './artifact-blob.repository';
import { ArtifactStore, LocalArtifactStore, StagedObject } from './artifact.store';

/** 1 MiB: few rows per model, and a chunk stays far below PostgreSQL's 1 GB field limit and the client's memory. */
export const ARTIFACT_CHUNK_BYTES = 1024 * 1024;
/** Chunks fetched per query while copying an object to the local cache (memory held: this many chunks). */
const CHUNKS_PER_READ = 8;

/**
 * ARTIFACT_STORE=database: objects live in the database every control plane and worker already shares
 * (ArtifactBlob + ArtifactChunk), so no replica needs another's disk. Each process keeps a local read-through
 * cache (`<dataDir>/artifact-cache`): an object is copied there once, checked against its sha256, and then read
 * like a local file — the block server's ranged reads never go to the database twice. The cache never goes stale
 * because an object's content never changes.
 */
export class DatabaseArtifactStore extends ArtifactStore {
  private readonly copying = new Map<string, Promise<void>>();

  constructor(
    private readonly blobs: ArtifactBlobRepository,
    private readonly uow: UnitOfWork,
    private readonly cache: LocalArtifactStore,
  ) {
    super();
  }

  async put(bytes: Buffer): Promise<{ sha256: string; size: number }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await this.save(sha256, bytes.length, (from, to) => Promise.resolve(bytes.subarray(from, to)));
    await this.cache.put(bytes);
    return { sha256, size: bytes.length };
  }

  async stage(source: Readable, maxBytes: number): Promise<StagedObject> {
    const staged = await this.cache.stage(source, maxBytes);
    return {
      sha256: staged.sha256,
      size: staged.size,
      path: staged.path,
      commit: async () => {
        const fh = await open(staged.path, 'r');
        try {
          await this.save(staged.sha256, staged.size, async (from, to) => {
            const buf = Buffer.alloc(to - from);
            const { bytesRead } = await fh.read(buf, 0, buf.length, from);
            return buf.subarray(0, bytesRead);
          });
        } finally {
          await fh.close();
        }
        await staged.commit(); // into the cache: this process reads it from disk from now on
      },
      discard: () => staged.discard(),
    };
  }

  async size(sha256: string): Promise<number | undefined> {
    return (await this.cache.size(sha256)) ?? (await this.blobs.find(sha256))?.size;
  }

  async read(sha256: string, offset: number, length: number): Promise<Buffer> {
    await this.cached(sha256);
    return this.cache.read(sha256, offset, length);
  }

  async get(sha256: string): Promise<Buffer> {
    await this.cached(sha256);
    return this.cache.get(sha256);
  }

  async stream(sha256: string): Promise<Readable> {
    await this.cached(sha256);
    return this.cache.stream(sha256);
  }

  async localPath(sha256: string): Promise<string> {
    await this.cached(sha256);
    return this.cache.localPath(sha256);
  }

  /** Writes the object's row and chunks in one transaction, unless it is stored already. */
  private async save(sha256: string, size: number, slice: (from: number, to: number) => Promise<Buffer>): Promise<void> {
    if (await this.blobs.find(sha256)) return;
    await this.uow.transaction(async (tx) => {
      if (!(await this.blobs.claim(tx, sha256, size, ARTIFACT_CHUNK_BYTES))) return;
      for (let index = 0, from = 0; from < size || index === 0; index++, from += ARTIFACT_CHUNK_BYTES) {
        await this.blobs.writeChunk(tx, sha256, index, await slice(from, Math.min(size, from + ARTIFACT_CHUNK_BYTES)));
      }
    });
  }

  /** Makes sure the local cache holds the object (one copy per object at a time, however many readers wait). */
  private async cached(sha256: string): Promise<void> {
    if ((await this.cache.size(sha256)) !== undefined) return;
    let copy = this.copying.get(sha256);
    if (!copy) {
      copy = this.copyToCache(sha256).finally(() => this.copying.delete(sha256));
      this.copying.set(sha256, copy);
    }
    await copy;
  }

  private async copyToCache(sha256: string): Promise<void> {
    const blob = await this.blobs.find(sha256);
    if (!blob) throw Object.assign(new Error(`artifact ${sha256} is not stored`), { code: 'ENOENT' });
    const count = Math.max(1, Math.ceil(blob.size / blob.chunkBytes));
    const blobs = this.blobs;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let from = 0; from < count; from += CHUNKS_PER_READ) {
        yield* await blobs.chunks(sha256, from, Math.min(count, from + CHUNKS_PER_READ) - 1);
      }
    }
    const staged = await this.cache.stage(Readable.from(chunks()), blob.size);
    if (staged.sha256 !== sha256 || staged.size !== blob.size) {
      await staged.discard();
      throw new Error(`artifact ${sha256} in the database does not match its hash (got ${staged.sha256}, ${staged.size} bytes)`);
    }
    await staged.commit();
  }
}
