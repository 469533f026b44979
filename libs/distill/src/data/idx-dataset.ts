/**
 * A data set stored as an MNIST-layout folder of four IDX files:
 * `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`,
 * each plain or `.gz`. Pixels are scaled by 1/255 into [0, 1]; a sample is [1, rows, cols].
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Dataset, DatasetSplit } from './dataset';
import { DatasetError } from './dataset-error';
import { readIdxFile, writeIdxFile } from './idx';
import { resolveNumClasses } from './labels';

export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface IdxLoadOptions {
  /** Expected class count; labels outside 0..numClasses-1 are an error. Inferred (dense) when absent. */
  numClasses?: number;
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/** The path of `name` in `dir`: plain, `.gz`, or the `train-images.idx3-ubyte` spelling some mirrors use. */
async function locate(dir: string, name: string): Promise<string | undefined> {
  const dotted = name.replace(/-(idx\d-ubyte)$/, '.$1');
  for (const candidate of [name, `${name}.gz`, dotted, `${dotted}.gz`]) {
    const p = join(dir, candidate);
    if (await exists(p)) return p;
  }
  return undefined;
}

/** True when `dir` holds the four MNIST-layout files (plain or gz). */
export async function isIdxFolder(dir: string): Promise<boolean> {
  for (const name of Object.values(IDX_FILES)) if (!(await locate(dir, name))) return false;
  return true;
}

async function readPart(dir: string, images: string, labels: string): Promise<{ ds: Omit<Dataset, 'numClasses'>; imageFile: string; labelFile: string }> {
  const imageFile = await locate(dir, images);
  const labelFile = await locate(dir, labels);
  if (!imageFile) throw new DatasetError(dir, `missing ${images} (or ${images}.gz)`);
  if (!labelFile) throw new DatasetError(dir, `missing ${labels} (or ${labels}.gz)`);
  const img = await readIdxFile(imageFile, 3);
  const lab = await readIdxFile(labelFile, 1);
  const [n, rows, cols] = img.dims;
  if (lab.dims[0] !== n) {
    throw new DatasetError(labelFile, `${lab.dims[0]} labels but ${imageFile} has ${n} images`);
  }
  const x = new Float32Array(img.data.length);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i] / 255;
  return { ds: { x, y: Int32Array.from(lab.data), n, sampleShape: [1, rows, cols] }, imageFile, labelFile };
}

export async function readIdxDataset(dir: string, opts: IdxLoadOptions = {}): Promise<DatasetSplit> {
  const train = await readPart(dir, IDX_FILES.trainImages, IDX_FILES.trainLabels);
  const test = await readPart(dir, IDX_FILES.testImages, IDX_FILES.testLabels);
  const [, tr, tc] = train.ds.sampleShape;
  const [, er, ec] = test.ds.sampleShape;
  if (tr !== er || tc !== ec) {
    throw new DatasetError(test.imageFile, `images are ${er}×${ec} but training images are ${tr}×${tc}`);
  }
  const numClasses = resolveNumClasses({ y: train.ds.y, file: train.labelFile }, { y: test.ds.y, file: test.labelFile }, opts.numClasses);
  return { train: { ...train.ds, numClasses }, test: { ...test.ds, numClasses }, source: dir };
}

export interface IdxWriteOptions {
  gzip?: boolean;
}

/** Image size of a sample shape as IDX stores it: [1, r, c] and [r, c] as they are, a flat [f] only if square. */
function imageDims(ds: Dataset): [number, number] {
  const s = ds.sampleShape;
  if (s.length === 3 && s[0] === 1) return [s[1], s[2]];
  if (s.length === 2) return [s[0], s[1]];
  if (s.length === 1 && Number.isInteger(Math.sqrt(s[0]))) return [Math.sqrt(s[0]), Math.sqrt(s[0])];
  throw new RangeError(`cannot store sample shape [${s.join(', ')}] as single-channel IDX images`);
}

function toBytes(ds: Dataset): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(ds.x.length);
  // IDX stores bytes: features are assumed in [0, 1] and rounded to the nearest 1/255 (lossless for data read from IDX).
  for (let i = 0; i < images.length; i++) images[i] = Math.min(255, Math.max(0, Math.round(ds.x[i] * 255)));
  const labels = new Uint8Array(ds.n);
  for (let i = 0; i < ds.n; i++) {
    if (ds.y[i] < 0 || ds.y[i] > 255) throw new RangeError(`label ${ds.y[i]} at row ${i} does not fit in an IDX byte`);
    labels[i] = ds.y[i];
  }
  return { images, labels };
}

/** Writes `split` as the four MNIST-layout files into `dir` (created if missing); returns their paths. */
export async function writeIdxDataset(dir: string, split: Pick<DatasetSplit, 'train' | 'test'>, opts: IdxWriteOptions = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const suffix = opts.gzip ? '.gz' : '';
  const written: string[] = [];
  const parts: Array<[Dataset, string, string]> = [
    [split.train, IDX_FILES.trainImages, IDX_FILES.trainLabels],
    [split.test, IDX_FILES.testImages, IDX_FILES.testLabels],
  ];
  for (const [ds, imageName, labelName] of parts) {
    const [rows, cols] = imageDims(ds);
    const { images, labels } = toBytes(ds);
    const imageFile = join(dir, imageName + suffix);
    const labelFile = join(dir, labelName + suffix);
    await writeIdxFile(imageFile, { dims: [ds.n, rows, cols], data: images }, opts.gzip);
    await writeIdxFile(labelFile, { dims: [ds.n], data: labels }, opts.gzip);
    written.push(imageFile, labelFile);
  }
  return written;
}
