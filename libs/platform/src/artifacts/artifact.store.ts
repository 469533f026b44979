import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, ReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppConfig } from '../config/app-config';
import { PayloadTooLargeError } from '../common/errors';

const SHA256 = /^[a-f0-9]{64}$/;

/** An upload written to disk and hashed, not yet part of the store: commit() or discard() it. */
export interface StagedObject {
  sha256: string;
  size: number;
  /** Where the bytes are now (readable until commit or discard). */
  path: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Content-addressed files under `<dataDir>/artifacts/<sha256[0:2]>/<sha256>`. Writes go to a temporary file in
 * the same directory tree and are renamed into place, so a reader never sees half a file and equal content is
 * stored once. Model files and eval sets both live here.
 */
@Injectable()
export class ArtifactStore {
  private readonly root: string;
  private readonly tmp: string;

  constructor(config: AppConfig) {
    this.root = join(config.dataDir, 'artifacts');
    this.tmp = join(this.root, 'tmp');
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  async put(bytes: Buffer): Promise<{ sha256: string; size: number }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if ((await this.size(sha256)) !== bytes.length) {
      await mkdir(this.tmp, { recursive: true });
      const tmp = join(this.tmp, randomUUID());
      await writeFile(tmp, bytes);
      await this.place(tmp, sha256);
    }
    return { sha256, size: bytes.length };
  }

  /** Streams `source` to a temporary file while hashing it; fails with PayloadTooLargeError past maxBytes. */
  async stage(source: Readable, maxBytes: number): Promise<StagedObject> {
    await mkdir(this.tmp, { recursive: true });
    const path = join(this.tmp, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new PayloadTooLargeError(`file is larger than the limit of ${maxBytes} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const out = createWriteStream(path);
    try {
      await pipeline(source, meter, out);
    } catch (err) {
      // The file is opened asynchronously: wait until the stream has closed, or rm could run before the open
      // and leave an empty file behind.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await rm(path, { force: true });
      throw err;
    }
    const sha256 = hash.digest('hex');
    let settled = false;
    return {
      sha256,
      size,
      path,
      commit: async () => {
        if (settled) return;
        settled = true;
        await this.place(path, sha256);
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await rm(path, { force: true });
      },
    };
  }

  async size(sha256: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** `length` bytes from `offset` (fewer at the end of the object). */
  async read(sha256: string, offset: number, length: number): Promise<Buffer> {
    const fh = await open(this.pathOf(sha256), 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return bytesRead === length ? buf : buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  get(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256));
  }

  stream(sha256: string): ReadStream {
    return createReadStream(this.pathOf(sha256));
  }

  private async place(tmp: string, sha256: string): Promise<void> {
    const dest = this.pathOf(sha256);
    await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
    await rename(tmp, dest); // atomic; same content may safely replace an existing copy
  }
}
