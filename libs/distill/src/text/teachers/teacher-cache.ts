import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CacheProgress { done: number; total: number; perSec: number; etaMs: number }

export interface CachedRows {
  /** n × width, row-major. */
  values: Float32Array;
  /** True when every row came from the cache. */
  hit: boolean;
  /** Time spent computing (0 on a hit). */
  computeMs: number;
}

/**
 * Content address of a teacher's output for these texts: teacher identity (model and version), preprocessing and
 * every text. A different data set, teacher or preprocessing can never be served another's rows.
 */
export function cacheKey(teacherId: string, preprocessing: string, texts: readonly string[]): string {
  const h = createHash('sha256').update(`${teacherId}\n${preprocessing}\n${texts.length}\n`);
  for (const t of texts) h.update(`${Buffer.byteLength(t)}:`).update(t);
  return h.digest('hex');
}

/**
 * Rows of a teacher's output (probabilities or embeddings), computed in batches with progress, or read from
 * `<dir>/<key>.f32` when an earlier run (any worker sharing the folder) computed them. Written via a temporary
 * file and a rename, so a crashed run never leaves a truncated entry that a later run would trust.
 */
export async function cachedRows(
  dir: string | undefined,
  key: string,
  texts: readonly string[],
  width: number,
  compute: (batch: readonly string[]) => Promise<Float32Array>,
  onProgress: (p: CacheProgress) => void = () => {},
  batchSize = 32,
): Promise<CachedRows> {
  const file = dir ? join(dir, `${key}.f32`) : undefined;
  if (file) {
    const bytes = await readFile(file).catch(() => undefined);
    if (bytes && bytes.byteLength === texts.length * width * 4) {
      const values = new Float32Array(texts.length * width);
      Buffer.from(values.buffer).set(bytes);
      return { values, hit: true, computeMs: 0 };
    }
  }
  const values = new Float32Array(texts.length * width);
  const started = Date.now();
  let lastReport = 0;
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = texts.slice(i, i + batchSize);
    const out = await compute(batch);
    if (out.length !== batch.length * width) throw new Error(`teacher returned ${out.length} values for ${batch.length} texts, expected ${batch.length * width}`);
    values.set(out, i * width);
    const done = i + batch.length;
    const elapsed = Date.now() - started;
    if (elapsed - lastReport > 1000 || done === texts.length) {
      lastReport = elapsed;
      const perSec = done / Math.max(elapsed / 1000, 1e-3);
      onProgress({ done, total: texts.length, perSec, etaMs: ((texts.length - done) / perSec) * 1000 });
    }
  }
  if (file && dir) {
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    await rename(tmp, file);
  }
  return { values, hit: false, computeMs: Date.now() - started };
}
