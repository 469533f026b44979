import { Injectable, Logger, Optional } from '@nestjs/common';
import { FleetMetrics } from '../metrics/fleet-metrics';
import { BlockRequestMessage, topics } from '@edgefleet/contracts';
import { ArtifactStore, AppConfig } from '@edgefleet/platform';
import { BatchQueue } from '../common/batch-queue';
import { MqttPublisher } from '../mqtt/mqtt-publisher.service';
import { ByteBudget } from './byte-budget';
import { ChunkCache } from './chunk-cache';
import { FairQueue, RateLimiter } from './fair-queue';
import { DeploymentRepository } from '../deployments/deployment.repository';
import { BlockOutOfRangeError, UnknownObjectError } from './ota.errors';

/** Block data handed to the broker but not yet acknowledged, across all devices. */
export const BLOCK_SERVER_BUDGET_BYTES = 16 * 1024 * 1024;
/** Recently read file chunks kept for the next device asking for the same model. */
export const BLOCK_CACHE_BYTES = 32 * 1024 * 1024;
/** Unit of disk reads and of the cache (rounded down to whole blocks). */
const CHUNK_BYTES = 1024 * 1024;

/** Token bucket per device on block *requests* (an agent sends one per contiguous run; 16 in flight by default). */
export const BLOCK_REQUESTS_BURST = 200;
export const BLOCK_REQUESTS_PER_SECOND = 100;
/** Blocks one device may have queued; a request beyond it is cut (the agent re-asks for the rest on timeout). */
export const MAX_QUEUED_BLOCKS_PER_DEVICE = 128;
/** How long a device's list of fetchable objects is trusted from memory (only positive answers are kept). */
const FETCHABLE_TTL_MS = 2_000;

interface Job {
  deviceId: string;
  sha256: string;
  size: number;
  outstanding: number;
  publishes: Array<Promise<void>>;
  failure?: unknown;
  done: (err?: unknown) => void;
}

/**
 * Answers block requests: blocks [index, index + count) of an object in the artifact store, each published as
 * raw bytes (QoS 1) on `…/block/<sha256>/<index>`. Blocks are `config.blockSize` bytes (the last one shorter),
 * the same size the manifests announce. A request reaching past the last block is served up to the last one.
 *
 * Closed: a device gets only objects an unfinished deployment of its own names (anything else is "not found",
 * so the answer does not tell what the store holds). Fair: requests pass a per-device token bucket, blocks wait
 * in per-device queues served round-robin (FairQueue), and each device may have only so many queued — one
 * device flooding requests slows itself, not the others.
 *
 * Memory stays bounded when many devices ask at once: every block takes its size from a shared ByteBudget
 * before it is published and gives it back on the broker's PUBACK, so at most BLOCK_SERVER_BUDGET_BYTES are
 * in flight, plus at most BLOCK_CACHE_BYTES of cached chunks.
 */
@Injectable()
export class BlockServer {
  private readonly logger = new Logger('BlockServer');
  private readonly budget = new ByteBudget(BLOCK_SERVER_BUDGET_BYTES);
  private readonly cache = new ChunkCache(BLOCK_CACHE_BYTES);
  private readonly limiter = new RateLimiter(BLOCK_REQUESTS_BURST, BLOCK_REQUESTS_PER_SECOND);
  private readonly queue = new FairQueue<{ job: Job; index: number }>();
  private readonly fetchable = new Map<string, { at: number; objects: Set<string> }>();
  private readonly lookups = new Map<string, Promise<Set<string>>>();
  private readonly lastDropLog = new Map<string, number>();
  private pumping = false;
  /** Requests refused by the rate limit (a device that floods). */
  droppedRequests = 0;
  /** Allow-lists of the devices whose first block requests arrive together, read in one query. */
  private readonly allowLists = new BatchQueue<string, Set<string>>(async (ids) => {
    const found = await this.deployments.fetchableObjectsOf(ids);
    return ids.map((id) => found.get(id)!);
  });
  /** Objects are content addressed, so a size once seen never changes. */
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly store: ArtifactStore,
    private readonly publisher: MqttPublisher,
    private readonly config: AppConfig,
    private readonly deployments: DeploymentRepository,
    @Optional() private readonly metrics?: FleetMetrics,
  ) {}

  /**
   * Resolves when every requested block was acknowledged by the broker (or the request was dropped by the rate
   * limit); rejects with a domain error.
   */
  async serve(deviceId: string, req: BlockRequestMessage): Promise<void> {
    if (!this.limiter.take(deviceId)) {
      this.droppedRequests++;
      this.logDrop(deviceId, 'over its block-request rate');
      return;
    }
    if (this.queue.size(deviceId) >= MAX_QUEUED_BLOCKS_PER_DEVICE) {
      this.logDrop(deviceId, `with ${MAX_QUEUED_BLOCKS_PER_DEVICE} blocks already queued`);
      return;
    }
    if (!this.config.mqttAllowAnonymous && !(await this.mayFetch(deviceId, req.sha256))) throw new UnknownObjectError(req.sha256);
    const blockSize = this.config.blockSize;
    const size = await this.sizeOf(req.sha256);
    const totalBlocks = Math.ceil(size / blockSize);
    if (req.index >= totalBlocks) throw new BlockOutOfRangeError(req.sha256, req.index, totalBlocks, blockSize);
    const room = MAX_QUEUED_BLOCKS_PER_DEVICE - this.queue.size(deviceId);
    const end = Math.min(req.index + (req.count ?? 1), totalBlocks, req.index + room);
    if (end <= req.index) {
      this.logDrop(deviceId, `with ${MAX_QUEUED_BLOCKS_PER_DEVICE} blocks already queued`);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const job: Job = {
        deviceId, sha256: req.sha256, size, outstanding: end - req.index, publishes: [],
        done: (err) => (err === undefined ? resolve() : reject(err)),
      };
      for (let index = req.index; index < end; index++) this.queue.push(deviceId, { job, index });
      void this.pump();
    });
  }

  /** One block at a time from the device whose turn it is; the byte budget is the back-pressure. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let next = this.queue.next(); next; next = this.queue.next()) await this.send(next.item.job, next.item.index);
    } finally {
      this.pumping = false;
    }
  }

  private async send(job: Job, index: number): Promise<void> {
    const blockSize = this.config.blockSize;
    const blocksPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / blockSize));
    const chunkIndex = Math.floor(index / blocksPerChunk);
    const chunkOffset = chunkIndex * blocksPerChunk * blockSize;
    const held = await this.budget.acquire(Math.min(blockSize, job.size - index * blockSize));
    try {
      const chunk = await this.cache.get(`${job.sha256}:${blockSize}:${chunkIndex}`, () =>
        this.readChunk(job.sha256, chunkOffset, Math.min(blocksPerChunk * blockSize, job.size - chunkOffset)),
      );
      const start = index * blockSize - chunkOffset;
      const topic = topics.block(job.deviceId, job.sha256, index);
      const block = chunk.subarray(start, start + blockSize);
      job.publishes.push(this.publisher.publish(topic, block, { qos: 1, bulk: true }).then(() => {
        this.metrics?.otaBytes.inc(block.length);
        this.metrics?.otaBlocks.inc();
      }).finally(() => this.budget.release(held)));
    } catch (err) {
      this.budget.release(held);
      job.failure ??= err;
      // The rest of this request cannot be served either: take it out of the queue.
      const dropped = this.queue.remove(job.deviceId, (b) => b.job === job).length;
      job.outstanding -= dropped;
    }
    if (--job.outstanding === 0) this.finish(job);
  }

  /** Waits for every publish even after a failure, so the budget is never left held by a forgotten promise. */
  private finish(job: Job): void {
    void Promise.allSettled(job.publishes).then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      job.done(job.failure ?? failed?.reason);
    });
  }

  private async mayFetch(deviceId: string, sha256: string): Promise<boolean> {
    const cached = this.fetchable.get(deviceId);
    if (cached && Date.now() - cached.at < FETCHABLE_TTL_MS && cached.objects.has(sha256)) return true;
    // One lookup per device at a time: a flood of requests must not turn into a flood of queries.
    let lookup = this.lookups.get(deviceId);
    if (!lookup) {
      lookup = this.allowLists.submit(deviceId).finally(() => this.lookups.delete(deviceId));
      this.lookups.set(deviceId, lookup);
    }
    const objects = await lookup;
    if (this.fetchable.size >= 10_000) this.fetchable.clear();
    this.fetchable.set(deviceId, { at: Date.now(), objects });
    return objects.has(sha256);
  }

  private logDrop(deviceId: string, why: string): void {
    const now = Date.now();
    if (now - (this.lastDropLog.get(deviceId) ?? 0) < 10_000) return;
    if (this.lastDropLog.size >= 10_000) this.lastDropLog.clear();
    this.lastDropLog.set(deviceId, now);
    this.logger.warn(`dropping block requests of ${deviceId} ${why}`);
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
