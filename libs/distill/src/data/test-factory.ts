/** Small data sets and temp folders for the data specs (not exported from the package). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset } from './dataset';

/** `n` images of rows×cols whose pixels are exact multiples of 1/255, labels cycling 0..classes-1. */
export function tinyImages(n: number, rows = 3, cols = 2, classes = 3): Dataset {
  const x = new Float32Array(n * rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 37) % 256) / 255;
  const y = Int32Array.from({ length: n }, (_, i) => i % classes);
  return { x, y, n, sampleShape: [1, rows, cols], numClasses: classes };
}

/** Runs `fn` in a fresh temp folder, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-data-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
