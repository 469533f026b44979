/**
 * Labelled samples for an eval set (`npm run eval-set`, docs/models.md "Eval sets"), read from what third parties
 * have: an MNIST-layout IDX folder (its test part), a CSV (label columns first), JSONL ({"x": [...], "y": ...} per
 * line) or NumPy .npy files (features, and labels in a second file). Labels are kept as numbers per sample
 * (`labelWidth` of them): a class index, 0/1, several 0/1 flags or regression targets, as the task reads them.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './dataset-error';
import { isIdxFolder, readIdxDataset } from './idx-dataset';

export interface EvalSamples {
  /** n × features, row-major. */
  x: Float32Array;
  /** n × labelWidth. */
  labels: Float64Array;
  n: number;
  /** Features of one sample as the source shapes them ([1, 28, 28] for IDX images, [features] otherwise). */
  sampleShape: number[];
  labelWidth: number;
}

export interface EvalSourceOptions {
  /** CSV: how many leading columns are labels (default 1). */
  labelColumns?: number;
  /** .npy: the labels file beside the features file. */
  labelsFile?: string;
}

/** Reads `path` by what it is: a directory (IDX), .csv[.gz], .jsonl / .ndjson, or .npy. */
export async function readEvalSamples(path: string, opts: EvalSourceOptions = {}): Promise<EvalSamples> {
  if (await isIdxFolder(path)) {
    const { test } = await readIdxDataset(path);
    return { x: test.x, labels: Float64Array.from(test.y), n: test.n, sampleShape: test.sampleShape, labelWidth: 1 };
  }
  const ext = extname(path.replace(/\.gz$/, '')).toLowerCase();
  const raw = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new DatasetError(path, err.code === 'EISDIR' ? 'a directory without the four MNIST-layout IDX files' : err.message);
  });
  const bytes = path.endsWith('.gz') ? gunzipSync(raw) : raw;
  switch (ext) {
    case '.csv': return fromCsv(bytes.toString('utf8'), path, opts.labelColumns ?? 1);
    case '.jsonl': case '.ndjson': return fromJsonl(bytes.toString('utf8'), path);
    case '.npy': {
      if (!opts.labelsFile) throw new DatasetError(path, 'a .npy source needs its labels in a second .npy file (--labels)');
      return fromNpy(bytes, path, await readFile(opts.labelsFile), opts.labelsFile);
    }
    default: throw new DatasetError(path, 'expected an IDX folder, .csv, .jsonl or .npy');
  }
}

function num(field: string, file: string, line: number, col: number): number {
  const v = field.trim() === '' ? NaN : Number(field);
  if (!Number.isFinite(v)) throw new DatasetError(file, `line ${line}, column ${col}: non-numeric value ${JSON.stringify(field.slice(0, 40))}`);
  return v;
}

function fromCsv(text: string, file: string, labelColumns: number): EvalSamples {
  const rows = text.split('\n').map((l, i) => ({ l: l.replace(/\r$/, ''), line: i + 1 })).filter((r) => r.l.trim() !== '');
  if (rows.length === 0) throw new DatasetError(file, 'no rows');
  if (!Number.isFinite(Number(rows[0]!.l.split(',')[0]!.trim())) || rows[0]!.l.split(',')[0]!.trim() === '') rows.shift(); // a header
  const width = rows[0]?.l.split(',').length ?? 0;
  const features = width - labelColumns;
  if (features < 1) throw new DatasetError(file, `rows need ${labelColumns} label column(s) and at least one feature`);
  const x = new Float32Array(rows.length * features);
  const labels = new Float64Array(rows.length * labelColumns);
  rows.forEach(({ l, line }, r) => {
    const f = l.split(',');
    if (f.length !== width) throw new DatasetError(file, `line ${line}: ${f.length} columns, the first row has ${width}`);
    for (let c = 0; c < width; c++) {
      const v = num(f[c]!, file, line, c + 1);
      if (c < labelColumns) labels[r * labelColumns + c] = v;
      else x[r * features + c - labelColumns] = v;
    }
  });
  return { x, labels, n: rows.length, sampleShape: [features], labelWidth: labelColumns };
}

function flatten(v: unknown, out: number[]): boolean {
  if (typeof v === 'number') return Number.isFinite(v) && (out.push(v), true);
  return Array.isArray(v) && v.every((e) => flatten(e, out));
}

/** The shape of a nested array ([2, 3] for [[1,2,3],[4,5,6]]), from its first elements. */
function shapeOf(v: unknown): number[] {
  const s: number[] = [];
  for (let cur = v; Array.isArray(cur); cur = cur[0]) s.push(cur.length);
  return s;
}

function fromJsonl(text: string, file: string): EvalSamples {
  const xs: number[] = [];
  const ls: number[] = [];
  let shape: number[] | undefined;
  let labelWidth: number | undefined;
  let n = 0;
  text.split('\n').forEach((l, i) => {
    if (l.trim() === '') return;
    let row: { x?: unknown; y?: unknown };
    try {
      row = JSON.parse(l) as typeof row;
    } catch {
      throw new DatasetError(file, `line ${i + 1}: not JSON`);
    }
    const x: number[] = [];
    const y: number[] = [];
    if (!flatten(row.x, x) || x.length === 0) throw new DatasetError(file, `line ${i + 1}: "x" must be a number array (nested for a shaped sample)`);
    if (!flatten(row.y, y) || y.length === 0) throw new DatasetError(file, `line ${i + 1}: "y" must be a number or a number array`);
    const s = Array.isArray(row.x) ? shapeOf(row.x) : [1];
    shape ??= s;
    labelWidth ??= y.length;
    if (s.join() !== shape.join() || x.length !== shape.reduce((a, b) => a * b, 1)) throw new DatasetError(file, `line ${i + 1}: x has shape [${s}], the first line [${shape}]`);
    if (y.length !== labelWidth) throw new DatasetError(file, `line ${i + 1}: y has ${y.length} values, the first line ${labelWidth}`);
    xs.push(...x);
    ls.push(...y);
    n++;
  });
  if (n === 0) throw new DatasetError(file, 'no rows');
  return { x: Float32Array.from(xs), labels: Float64Array.from(ls), n, sampleShape: shape!, labelWidth: labelWidth! };
}

/** A NumPy .npy array (versions 1-3, little-endian f4/f8/i1/u1/i2/i4/i8, C order) as numbers and its shape. */
export function decodeNpy(b: Buffer, file: string): { data: Float64Array; shape: number[] } {
  if (b.length < 10 || b.readUInt8(0) !== 0x93 || b.subarray(1, 6).toString('latin1') !== 'NUMPY') throw new DatasetError(file, 'not a .npy file');
  const major = b.readUInt8(6);
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = b.subarray(major === 1 ? 10 : 12, start).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1]?.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new DatasetError(file, 'Fortran-order arrays are not supported (save with np.ascontiguousarray)');
  const readers: Record<string, [number, (o: number) => number]> = {
    '<f4': [4, (o) => b.readFloatLE(o)], '<f8': [8, (o) => b.readDoubleLE(o)], '|u1': [1, (o) => b.readUInt8(o)], '|i1': [1, (o) => b.readInt8(o)],
    '<i2': [2, (o) => b.readInt16LE(o)], '<i4': [4, (o) => b.readInt32LE(o)], '<i8': [8, (o) => Number(b.readBigInt64LE(o))],
  };
  const reader = descr ? readers[descr] : undefined;
  if (!reader || !shape || shape.some((d) => !Number.isInteger(d))) throw new DatasetError(file, `unsupported .npy header ${header.trim()} (dtypes ${Object.keys(readers).join(' ')})`);
  const count = shape.reduce((a, c) => a * c, 1);
  const [size, read] = reader;
  if (b.length < start + count * size) throw new DatasetError(file, `truncated: shape (${shape}) needs ${count * size} data bytes`);
  return { data: Float64Array.from({ length: count }, (_, i) => read(start + i * size)), shape };
}

function fromNpy(xb: Buffer, xFile: string, yb: Buffer, yFile: string): EvalSamples {
  const x = decodeNpy(xb, xFile);
  const y = decodeNpy(yb, yFile);
  const n = x.shape[0] ?? 0;
  if (x.shape.length < 2 || n < 1) throw new DatasetError(xFile, `features need shape (n, ...), got (${x.shape})`);
  if (y.shape[0] !== n || y.shape.length > 2) throw new DatasetError(yFile, `labels need shape (${n},) or (${n}, k), got (${y.shape})`);
  return { x: Float32Array.from(x.data), labels: y.data, n, sampleShape: x.shape.slice(1), labelWidth: y.shape[1] ?? 1 };
}
