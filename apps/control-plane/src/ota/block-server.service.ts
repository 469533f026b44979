import { Injectable } from '@nestjs/common';
import { BlockRequestMessage, topics } from '@edgefleet/contracts';
import { ArtifactStore } from '../artifacts/artifact.store';
import { AppConfig } from '../config/app-config';
import { MqttPublisher } from '../mqtt/mqtt-publisher.service';
import { ByteBudget } from './byte-budget';
import { ChunkCache } from './chunk-cache';
import { BlockOutOfRangeError, UnknownObjectError } from './ota.errors';

/** Block data handed to the broker but not yet acknowledged, across all devices. */
export const BLOCK_SERVER_BUDGET_BYTES = 16 * 1024 * 1024;
/** Recently read file chunks kept for the next device asking for the same model. */
export const BLOCK_CACHE_BYTES = 32 * 1024 * 1024;
/** Unit of disk reads and of the cache (rounded down to whole blocks). */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Answers block requests: blocks [index, index + count) of an object in the artifact store, each published as
 * raw bytes (QoS 1) on `…/block/<sha256>/<index>`. Blocks are `config.blockSize` bytes (the last one shorter),
 * the same size the manifests announce. A request reaching past the last block is served up to the last one.
 *
 * Memory stays bounded when many devices ask at once: every block takes its size from a shared ByteBudget
 * before it is published and gives it back on the broker's PUBACK, so at most BLOCK_SERVER_BUDGET_BYTES are
 * in flight (later requests wait, FIFO), plus at most BLOCK_CACHE_BYTES of cached chunks.
 */
@Injectable()
export class BlockServer {
  private readonly budget = new ByteBudget(BLOCK_SERVER_BUDGET_BYTES);
  private readonly cache = new ChunkCache(BLOCK_CACHE_BYTES);
  /** Objects are content addressed, so a size once seen never changes. */
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly store: ArtifactStore,
    private readonly publisher: MqttPublisher,
    private readonly config: AppConfig,
  ) {}

  /** Resolves when every requested block was acknowledged by the broker; rejects with a domain error. */
  async serve(deviceId: string, req: BlockRequestMessage): Promise<void> {
    const blockSize = this.config.blockSize;
    const size = await this.sizeOf(req.sha256);
    const totalBlocks = Math.ceil(size / blockSize);
    if (req.index >= totalBlocks) throw new BlockOutOfRangeError(req.sha256, req.index, totalBlocks, blockSize);
    const end = Math.min(req.index + (req.count ?? 1), totalBlocks);
    const blocksPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / blockSize));

    const publishes: Array<Promise<void>> = [];
    let readError: unknown;
    for (let index = req.index; index < end; index++) {
      const chunkIndex = Math.floor(index / blocksPerChunk);
      const chunkOffset = chunkIndex * blocksPerChunk * blockSize;
      const held = await this.budget.acquire(Math.min(blockSize, size - index * blockSize));
      let chunk: Buffer;
      try {
        chunk = await this.cache.get(`${req.sha256}:${blockSize}:${chunkIndex}`, () =>
          this.readChunk(req.sha256, chunkOffset, Math.min(blocksPerChunk * blockSize, size - chunkOffset)),
        );
      } catch (err) {
        this.budget.release(held);
        readError = err;
        break;
      }
      const start = index * blockSize - chunkOffset;
      const bytes = chunk.subarray(start, start + blockSize);
      const topic = topics.block(deviceId, req.sha256, index);
      publishes.push(this.publisher.publish(topic, bytes, { qos: 1 }).finally(() => this.budget.release(held)));
    }
    // Wait for every publish even after a failure, so the budget is never left held by a forgotten promise.
    const results = await Promise.allSettled(publishes);
    if (readError !== undefined) throw readError;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async sizeOf(sha256: string): Promise<number> {
    const known = this.sizes.get(sha256);
    if (known !== undefined) return known;
    const size = await this.store.size(sha256);
    if (size === undefined) throw new UnknownObjectError(sha256);
    if (this.sizes.size >= 1024) this.sizes.clear(); // a bound, not a policy: sizes are one stat away
    this.sizes.set(sha256, size);
    return size;
  }

  private async readChunk(sha256: string, offset: number, length: number): Promise<Buffer> {
    const chunk = await this.store.read(sha256, offset, length);
    if (chunk.length !== length) {
      this.sizes.delete(sha256);
      throw new Error(`artifact ${sha256} is shorter than its recorded size (${offset + chunk.length} < ${offset + length})`);
    }
    return chunk;
  }
}
