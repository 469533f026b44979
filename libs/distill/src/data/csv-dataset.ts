/**
 * CSV data sets: one sample per line, the class label first, then the features. An optional header
 * line is recognised by a non-numeric first field. Lines ending in \r\n and blank lines are accepted;
 * `.csv.gz` is gunzipped.
 *
 * Scaling (`scale: 'auto'`, the default): when every feature is a whole number in 0..255 and at least
 * one exceeds 1, the file is taken to hold bytes (pixels) and all features are divided by 255, matching
 * the IDX reader; anything else is used as given. 'none' and 'bytes' force either choice.
 *
 * Split: the last `testFraction` of the rows (default 1/7, MNIST's 10k of 70k) become the test set, in
 * file order, so the split is reproducible without a seed. Files sorted by class need `splitSeed`,
 * which shuffles the row order with that seed before taking the tail.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { Dataset, DatasetSplit } from './dataset';
import { DatasetError } from './dataset-error';
import { resolveNumClasses } from './labels';
import { seededPermutation } from '@edgefleet/toolkit';
import { selectRows } from './select-rows';

export interface CsvLoadOptions {
  /** Share of rows held out as the test set, 0 < f < 1. Default 1/7. */
  testFraction?: number;
  /** Shuffle rows with this seed before splitting (default: no shuffle, the tail is the test set). */
  splitSeed?: number;
  /** Expected class count; inferred (dense) from the training labels when absent. */
  numClasses?: number;
  scale?: 'auto' | 'none' | 'bytes';
  /**
   * [C, H, W] when the rows are images (their features row-major, C·H·W of them); absent: the rows are tabular and
   * the sample shape is [features] whatever their number.
   */
  imageShape?: number[];
}

interface ParsedCsv {
  x: Float32Array;
  y: Int32Array;
  n: number;
  features: number;
  /** 1-based line number of each row, for error messages after parsing. */
  lineOf: Int32Array;
}

function parseNumber(field: string, file: string, line: number, column: number): number {
  const t = field.trim();
  const v = t === '' ? NaN : Number(t);
  if (!Number.isFinite(v)) {
    throw new DatasetError(file, `line ${line}, column ${column}: non-numeric value ${JSON.stringify(field.slice(0, 40))}`);
  }
  return v;
}

export function parseCsv(text: string, file: string): ParsedCsv {
  const lines = text.split('\n');
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;
  if (first === lines.length) throw new DatasetError(file, 'no rows');
  const head = lines[first].replace(/\r$/, '').split(',');
  const hasHeader = !Number.isFinite(Number(head[0].trim())) || head[0].trim() === '';
  const features = head.length - 1;
  if (features < 1) throw new DatasetError(file, `line ${first + 1}: needs a label and at least one feature`);

  const x = new Float32Array(lines.length * features);
  const y = new Int32Array(lines.length);
  const lineOf = new Int32Array(lines.length);
  let n = 0;
  for (let i = hasHeader ? first + 1 : first; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const line = i + 1;
    const fields = raw.split(',');
    if (fields.length !== features + 1) {
      throw new DatasetError(file, `line ${line}: ragged row, ${fields.length - 1} features where earlier rows have ${features}`);
    }
    const label = parseNumber(fields[0], file, line, 1);
    if (!Number.isInteger(label) || label < 0) throw new DatasetError(file, `line ${line}: label ${fields[0].trim()} is out of range (want a whole number ≥ 0)`);
    y[n] = label;
    lineOf[n] = line;
    const base = n * features;
    for (let j = 0; j < features; j++) x[base + j] = parseNumber(fields[j + 1], file, line, j + 2);
    n++;
  }
  if (n === 0) throw new DatasetError(file, 'no data rows after the header');
  return { x: x.subarray(0, n * features), y: y.subarray(0, n), n, features, lineOf: lineOf.subarray(0, n) };
}

/** Whether the features look like 0..255 bytes (see the file comment). */
export function looksLikeBytes(x: Float32Array): boolean {
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < 0 || v > 255 || !Number.isInteger(v)) return false;
    if (v > max) max = v;
  }
  return max > 1;
}

/** Parses CSV text into a train/test split; `file` names the source in errors. */
export function csvToSplit(text: string, file: string, opts: CsvLoadOptions = {}): DatasetSplit {
  const f = opts.testFraction ?? 1 / 7;
  if (!(f > 0 && f < 1)) throw new RangeError(`testFraction must be between 0 and 1, got ${f}`);
  const parsed = parseCsv(text, file);
  const scale = opts.scale ?? 'auto';
  if (scale === 'bytes' || (scale === 'auto' && looksLikeBytes(parsed.x))) {
    for (let i = 0; i < parsed.x.length; i++) parsed.x[i] /= 255;
  }
  if (parsed.n < 2) throw new DatasetError(file, `only ${parsed.n} row: need at least 2 to split into train and test`);
  const nTest = Math.min(parsed.n - 1, Math.max(1, Math.round(parsed.n * f)));
  const order = opts.splitSeed === undefined ? Uint32Array.from({ length: parsed.n }, (_, i) => i) : seededPermutation(parsed.n, opts.splitSeed);
  const trainRows = order.subarray(0, parsed.n - nTest);
  const testRows = order.subarray(parsed.n - nTest);

  const image = opts.imageShape;
  if (image && image.reduce((a, b) => a * b, 1) !== parsed.features) {
    throw new DatasetError(file, `image shape ${image.join('x')} needs ${image.reduce((a, b) => a * b, 1)} features per row, the file has ${parsed.features}`);
  }
  const all: Dataset = { x: parsed.x, y: parsed.y, n: parsed.n, sampleShape: image ? [...image] : [parsed.features], numClasses: 0 };
  const train = selectRows(all, trainRows);
  const test = selectRows(all, testRows);
  const where = (rows: Uint32Array) => (r: number) => `line ${parsed.lineOf[rows[r]]}`;
  const numClasses = resolveNumClasses(
    { y: train.y, file, where: where(trainRows) },
    { y: test.y, file, where: where(testRows) },
    opts.numClasses,
  );
  train.numClasses = numClasses;
  test.numClasses = numClasses;
  return { train, test, source: file };
}

export async function readCsvDataset(file: string, opts: CsvLoadOptions = {}): Promise<DatasetSplit> {
  let bytes: Buffer = await readFile(file);
  if (file.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new DatasetError(file, `corrupt or truncated gzip data (${(err as Error).message})`);
    }
  }
  return csvToSplit(bytes.toString('utf8'), file, opts);
}
