import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const NAME = /^(\d{16})\.json$/;

/**
 * A bounded FIFO of JSON records on disk: one file per record, named by a growing sequence number, written
 * by rename (a crash leaves whole records only). When full, `push` drops the oldest and counts it; the
 * count survives restarts (`dropped.json`) until `takeDropped` hands it to the sender.
 */
export class DiskQueue<T> {
  private seqs: number[] = [];
  private next = 1;
  private droppedCount = 0;

  constructor(readonly dir: string, private readonly maxRecords: number) {}

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.seqs = (await readdir(this.dir)).map((f) => NAME.exec(f)?.[1]).filter((s): s is string => !!s).map(Number).sort((a, b) => a - b);
    this.next = (this.seqs.at(-1) ?? 0) + 1;
    try {
      this.droppedCount = Number((JSON.parse(await readFile(join(this.dir, 'dropped.json'), 'utf8')) as { dropped: number }).dropped) || 0;
    } catch {
      this.droppedCount = 0;
    }
  }

  get size(): number {
    return this.seqs.length;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  async push(record: T): Promise<void> {
    const seq = this.next++;
    const path = this.path(seq);
    await writeFile(`${path}.tmp`, JSON.stringify(record));
    await rename(`${path}.tmp`, path);
    this.seqs.push(seq);
    let overflow = 0;
    while (this.seqs.length > this.maxRecords) {
      await unlink(this.path(this.seqs.shift()!)).catch(() => undefined);
      overflow++;
    }
    if (overflow > 0) await this.setDropped(this.droppedCount + overflow);
  }

  /** Whether record `seq` is still queued (the seqs are ascending: a binary search). */
  has(seq: number): boolean {
    let lo = 0;
    let hi = this.seqs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.seqs[mid]!;
      if (s === seq) return true;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /**
   * The oldest `n` records, skipping the seqs in `except` (sent, not acknowledged yet); unreadable files are removed
   * and skipped. With the handle to remove them.
   */
  async peek(n: number, except?: ReadonlySet<number>): Promise<{ records: T[]; seqs: number[] }> {
    const records: T[] = [];
    const seqs: number[] = [];
    const take = except?.size ? this.seqs.filter((s) => !except.has(s)).slice(0, n) : this.seqs.slice(0, n);
    for (const seq of take) {
      try {
        records.push(JSON.parse(await readFile(this.path(seq), 'utf8')) as T);
        seqs.push(seq);
      } catch {
        await this.remove([seq]);
      }
    }
    return { records, seqs };
  }

  async remove(seqs: number[]): Promise<void> {
    const gone = new Set(seqs);
    this.seqs = this.seqs.filter((s) => !gone.has(s));
    for (const s of seqs) await unlink(this.path(s)).catch(() => undefined);
  }

  /** The control plane acknowledged a message that carried `n` of the dropped count: subtract it. */
  async ackDropped(n: number): Promise<void> {
    await this.setDropped(Math.max(0, this.droppedCount - n));
  }

  private async setDropped(n: number): Promise<void> {
    this.droppedCount = n;
    await writeFile(join(this.dir, 'dropped.json'), JSON.stringify({ dropped: n }));
  }

  private path(seq: number): string {
    return join(this.dir, `${String(seq).padStart(16, '0')}.json`);
  }
}
