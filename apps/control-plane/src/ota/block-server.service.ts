import { Injectable } from '@nestjs/common';
import { BlockRequestMessage, topics } from '@edgefleet/contracts';
import { ArtifactStore } from '../artifacts/artifact.store';
import { AppConfig } from '../config/app-config';
import { MqttPublisher } from '../mqtt/mqtt-publisher.service';
import { ByteBudget } from './byte-budget';
import { BlockOutOfRangeError, UnknownObjectError } from './ota.errors';

/** Block data read but not yet acknowledged by the broker, across all devices: the memory bound of OTA. */
export const BLOCK_SERVER_BUDGET_BYTES = 16 * 1024 * 1024;
/** Largest single file read; a request for many small blocks costs a few reads, not one per block. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Answers block requests: blocks [index, index + count) of an object in the artifact store, each published as
 * raw bytes (QoS 1) on `…/block/<sha256>/<index>`. Blocks are `config.blockSize` bytes (the last one shorter),
 * the same size the manifests announce. A request reaching past the last block is served up to the last one.
 *
 * Memory stays bounded when many devices ask at once: each block takes its size from a shared ByteBudget
 * before it is read and gives it back when the broker acknowledges the publish, so at most
 * BLOCK_SERVER_BUDGET_BYTES of block data is in flight; further requests wait in FIFO order.
 */
@Injectable()
export class BlockServer {
  private readonly budget = new ByteBudget(BLOCK_SERVER_BUDGET_BYTES);

  constructor(
    private readonly store: ArtifactStore,
    private readonly publisher: MqttPublisher,
    private readonly config: AppConfig,
  ) {}

  get blockSize(): number {
    return this.config.blockSize;
  }

  /** Resolves when every requested block was acknowledged by the broker; rejects with a domain error. */
  async serve(deviceId: string, req: BlockRequestMessage): Promise<void> {
    const blockSize = this.config.blockSize;
    const size = await this.store.size(req.sha256);
    if (size === undefined) throw new UnknownObjectError(req.sha256);
    const totalBlocks = Math.ceil(size / blockSize);
    if (req.index >= totalBlocks) throw new BlockOutOfRangeError(req.sha256, req.index, totalBlocks, blockSize);
    const end = Math.min(req.index + (req.count ?? 1), totalBlocks);

    const publishes: Array<Promise<void>> = [];
    let readError: unknown;
    // Blocks are read READ_CHUNK_BYTES at a time: one file read per chunk rather than per block.
    const blocksPerRead = Math.max(1, Math.floor(READ_CHUNK_BYTES / blockSize));
    for (let first = req.index; first < end; first += blocksPerRead) {
      const last = Math.min(first + blocksPerRead, end); // exclusive
      const offset = first * blockSize;
      const length = Math.min(last * blockSize, size) - offset;
      const held = await this.budget.acquire(length);
      let chunk: Buffer;
      try {
        chunk = await this.store.read(req.sha256, offset, length);
        if (chunk.length !== length) throw new Error(`artifact ${req.sha256} is shorter than its recorded size`);
      } catch (err) {
        this.budget.release(held);
        readError = err;
        break;
      }
      // Each block gives its share of the budget back on its own PUBACK.
      let unreleased = held;
      for (let index = first; index < last; index++) {
        const bytes = chunk.subarray((index - first) * blockSize, Math.min((index - first + 1) * blockSize, length));
        const share = index === last - 1 ? unreleased : Math.min(bytes.length, unreleased);
        unreleased -= share;
        const topic = topics.block(deviceId, req.sha256, index);
        publishes.push(this.publisher.publish(topic, bytes, { qos: 1 }).finally(() => this.budget.release(share)));
      }
    }
    // Wait for every publish even after a failure, so the budget is never left held by a forgotten promise.
    const results = await Promise.allSettled(publishes);
    if (readError !== undefined) throw readError;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
