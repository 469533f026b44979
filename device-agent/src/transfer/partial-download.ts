import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { durableWrites, readJsonIfExists, removeIfExists, writeJsonAtomic } from '../lib/atomic-file';
import { VerificationError } from '../lib/errors';
import { BlockBitmap, blockCount, blockLength } from './block-bitmap';
import { hashFile } from './verify';

export interface ObjectRef {
  sha256: string;
  size: number;
  blockSize: number;
}

interface PartialMeta extends ObjectRef {
  totalBlocks: number;
  bitmap: string;
  updatedAt: string;
}

/**
 * The bitmap of the last checkpoint of `ref`'s partial, or undefined when there is none usable: missing, torn or
 * garbled, or left by another object under the same name (a torn checkpoint is only lost progress).
 */
export async function readCheckpoint(ref: ObjectRef, paths: PartialPaths): Promise<BlockBitmap | undefined> {
  const total = blockCount(ref.size, ref.blockSize);
  const m = (await readJsonIfExists(paths.meta).catch(() => undefined)) as Partial<PartialMeta> | undefined;
  const same = m && m.sha256 === ref.sha256 && m.size === ref.size && m.blockSize === ref.blockSize && m.totalBlocks === total && typeof m.bitmap === 'string';
  if (!same) return undefined;
  try {
    return BlockBitmap.fromBase64(total, m.bitmap!);
  } catch {
    return undefined;
  }
}

export type WriteResult = 'written' | 'duplicate' | 'refused';

export interface PartialPaths {
  data: string;
  meta: string;
}

/** Checkpoints at most this often while blocks stream in (and always on close and completion). */
const CHECKPOINT_INTERVAL_MS = 250;

/**
 * A download in progress: the object's bytes at index × blockSize in `<sha>.part`, and a bitmap of what is
 * there in `<sha>.json`. A checkpoint first flushes the data (datasync) and then replaces the bitmap
 * atomically, so the bitmap never claims a block that is not on disk — a restart (even after a crash)
 * resumes from the last checkpoint and requests only the missing blocks. Blocks received after the last
 * checkpoint are simply requested again.
 */
export class PartialDownload {
  private lastCheckpoint = 0;
  private dirty = false;
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    readonly ref: ObjectRef,
    readonly paths: PartialPaths,
    readonly bitmap: BlockBitmap,
    private fh: FileHandle | undefined,
  ) {}

  /** Opens the partial for `ref`, reusing what an earlier run left when it matches the same object. */
  static async open(ref: ObjectRef, paths: PartialPaths): Promise<PartialDownload> {
    const saved = await readCheckpoint(ref, paths);
    const bitmap = saved ?? new BlockBitmap(blockCount(ref.size, ref.blockSize));
    await mkdir(dirname(paths.data), { recursive: true });
    // 'a+' would ignore positions on Linux; 'r+' needs the file, so create it first when missing.
    const fh = await open(paths.data, 'a').then((h) => h.close()).then(() => open(paths.data, 'r+'));
    await fh.truncate(ref.size);
    // No checkpoint of the empty bitmap: "no usable checkpoint" already reads as nothing received (readCheckpoint),
    // and it cost an atomic write (open, write, rename, close) per download start: half of the checkpoints of a small model.
    return new PartialDownload(ref, paths, bitmap, fh);
  }

  get complete(): boolean {
    return this.bitmap.complete;
  }

  /** Writes one block; a block of the wrong length (or index) is refused and stays missing. */
  writeBlock(index: number, data: Uint8Array): Promise<WriteResult> {
    const run = async (): Promise<WriteResult> => {
      if (!Number.isInteger(index) || index < 0 || index >= this.bitmap.total) return 'refused';
      if (this.bitmap.has(index)) return 'duplicate';
      if (data.length !== blockLength(index, this.ref.size, this.ref.blockSize)) return 'refused';
      await this.handle().write(data, 0, data.length, index * this.ref.blockSize);
      this.bitmap.set(index);
      this.dirty = true;
      if (this.bitmap.complete || Date.now() - this.lastCheckpoint >= CHECKPOINT_INTERVAL_MS) await this.flush();
      return 'written';
    };
    const p = this.chain.then(run);
    this.chain = p.then(() => undefined, () => undefined); // the caller gets the error through `p`
    return p;
  }

  /** Checkpoints when blocks were written since the last one: called while the stream is idle. */
  checkpointIfDirty(): Promise<void> {
    return this.dirty ? this.checkpoint() : Promise.resolve();
  }

  /** Persists the bitmap now (after flushing the data it describes). */
  checkpoint(): Promise<void> {
    const p = this.chain.then(() => this.flush());
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async flush(): Promise<void> {
    if (durableWrites()) await this.handle().datasync();
    const meta: PartialMeta = { ...this.ref, totalBlocks: this.bitmap.total, bitmap: this.bitmap.toBase64(), updatedAt: new Date().toISOString() };
    await writeJsonAtomic(this.paths.meta, meta);
    this.lastCheckpoint = Date.now();
    this.dirty = false;
  }

  async close(): Promise<void> {
    if (!this.fh) return;
    if (this.dirty) await this.checkpoint();
    await this.chain;
    const fh = this.fh;
    this.fh = undefined;
    await fh.close();
  }

  /**
   * Checks size and sha256 of the complete file and moves it to `target` (content-addressed store).
   * On mismatch the partial is deleted — its bytes cannot be trusted — and VerificationError is thrown.
   */
  async verifyAndCommit(target: string): Promise<void> {
    if (!this.complete) throw new VerificationError(`object ${this.ref.sha256} is incomplete (${this.bitmap.count}/${this.bitmap.total} blocks)`);
    await this.close();
    const got = await hashFile(this.paths.data);
    if (got.size !== this.ref.size || got.sha256 !== this.ref.sha256) {
      await this.discard();
      throw new VerificationError(`downloaded object does not match its manifest: expected sha256 ${this.ref.sha256} (${this.ref.size} B), got ${got.sha256} (${got.size} B)`);
    }
    await mkdir(dirname(target), { recursive: true });
    await rename(this.paths.data, target);
    await removeIfExists(this.paths.meta);
  }

  async discard(): Promise<void> {
    if (this.fh) {
      const fh = this.fh;
      this.fh = undefined;
      await this.chain;
      await fh.close();
    }
    await removeIfExists(this.paths.data);
    await removeIfExists(this.paths.meta);
  }

  private handle(): FileHandle {
    if (!this.fh) throw new Error('partial download is closed');
    return this.fh;
  }
}
