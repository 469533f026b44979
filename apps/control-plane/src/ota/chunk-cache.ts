/**
 * A small LRU of file chunks, bounded in bytes. During a rollout many devices fetch the same model at the
 * same time, so the block server reads each chunk from disk once instead of once per device. Concurrent misses
 * for one key share a single load; a failed load is not cached.
 */
export class ChunkCache {
  private readonly entries = new Map<string, { bytes: number; value: Promise<Buffer> }>();
  private used = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // re-insert: Map order is the recency order
      this.entries.set(key, hit);
      return hit.value;
    }
    const value = load();
    const entry = { bytes: 0, value };
    this.entries.set(key, entry);
    value.then(
      (buf) => {
        if (this.entries.get(key) !== entry) return;
        entry.bytes = buf.length;
        this.used += buf.length;
        this.evict();
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }

  get bytes(): number {
    return this.used;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.used <= this.maxBytes) return;
      this.entries.delete(key);
      this.used -= entry.bytes;
    }
  }
}
