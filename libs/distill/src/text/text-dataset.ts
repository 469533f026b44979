/**
 * Text data sets (docs/text.md): a folder with `train.jsonl` and `test.jsonl` (or `train.csv` / `test.csv`) and an
 * optional `labels.json` (the class names in class-index order; default: the sorted distinct training labels).
 *   JSONL: one object per line, `{"text": "…", "label": "spam"}`; `label` may be absent (unlabelled rows: a
 *          teacher such as fasttext-lid labels them); other fields are ignored.
 *   CSV:   a header row naming a `text` column and optionally a `label` column (RFC 4180 quoting).
 * Every problem is a DatasetError naming the file and line: invalid UTF-8, empty text, rows over
 * MAX_TEXT_CHARS, labels not in labels.json or not seen in training.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DatasetError } from '../data/dataset-error';

export const MAX_TEXT_CHARS = 100_000;

export interface TextRows {
  texts: string[];
  /** Class index per row, -1 = unlabelled. */
  y: Int32Array;
}

export interface TextSplit {
  train: TextRows;
  test: TextRows;
  /** Class names, index = class. */
  labels: string[];
  source: string;
}

interface RawRow { text: string; label?: string; line: number }

function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Name the line: decode line by line until one fails.
    const dec = new TextDecoder('utf-8', { fatal: true });
    let start = 0;
    for (let line = 1; start <= bytes.length; line++) {
      const end = bytes.indexOf(0x0a, start);
      const stop = end < 0 ? bytes.length : end;
      try { dec.decode(bytes.subarray(start, stop)); } catch { throw new DatasetError(file, `invalid UTF-8 on line ${line}`); }
      start = stop + 1;
    }
    throw new DatasetError(file, 'invalid UTF-8');
  }
}

function checkRow(file: string, r: RawRow): RawRow {
  if (typeof r.text !== 'string' || r.text.trim().length === 0) throw new DatasetError(file, `line ${r.line}: empty text`);
  if (r.text.length > MAX_TEXT_CHARS) throw new DatasetError(file, `line ${r.line}: text of ${r.text.length} characters, at most ${MAX_TEXT_CHARS} are accepted`);
  if (r.label !== undefined && (typeof r.label !== 'string' || r.label.length === 0)) throw new DatasetError(file, `line ${r.line}: label must be a non-empty string`);
  return r;
}

function parseJsonl(body: string, file: string): RawRow[] {
  const rows: RawRow[] = [];
  body.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (err) {
      throw new DatasetError(file, `line ${i + 1}: not JSON (${(err as Error).message})`);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new DatasetError(file, `line ${i + 1}: expected an object {"text": …, "label": …}`);
    const { text, label } = o as { text?: unknown; label?: unknown };
    rows.push(checkRow(file, { text: text as string, label: label === undefined || label === null ? undefined : (typeof label === 'number' ? String(label) : label as string), line: i + 1 }));
  });
  return rows;
}

function parseCsv(body: string, file: string): RawRow[] {
  let records: string[][];
  try {
    records = parse(body, { relax_column_count: false, skip_empty_lines: true, bom: true }) as string[][];
  } catch (err) {
    throw new DatasetError(file, `not valid CSV: ${(err as Error).message}`);
  }
  const header = records[0];
  if (!header) throw new DatasetError(file, 'empty file');
  const t = header.indexOf('text');
  const l = header.indexOf('label');
  if (t < 0) throw new DatasetError(file, `no "text" column in the header (${header.join(', ')})`);
  return records.slice(1).map((r, i) => checkRow(file, { text: r[t]!, label: l >= 0 && r[l] !== '' ? r[l] : undefined, line: i + 2 }));
}

async function readRows(dir: string, part: 'train' | 'test'): Promise<{ file: string; rows: RawRow[] }> {
  for (const ext of ['jsonl', 'csv'] as const) {
    const file = join(dir, `${part}.${ext}`);
    const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return undefined; throw e; });
    if (!bytes) continue;
    const body = decodeUtf8(bytes, file);
    const rows = ext === 'jsonl' ? parseJsonl(body, file) : parseCsv(body, file);
    if (rows.length === 0) throw new DatasetError(file, 'no rows');
    return { file, rows };
  }
  throw new DatasetError(dir, `no ${part}.jsonl or ${part}.csv`);
}

/** True when `path` is a folder holding a text data set (train.jsonl or train.csv). */
export async function isTextDataset(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return false;
  for (const f of ['train.jsonl', 'train.csv']) if (await stat(join(path, f)).catch(() => undefined)) return true;
  return false;
}

export async function readTextDataset(dir: string): Promise<TextSplit> {
  const train = await readRows(dir, 'train');
  const test = await readRows(dir, 'test');
  let labels: string[];
  const labelsFile = join(dir, 'labels.json');
  const declared = await readFile(labelsFile, 'utf8').catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return undefined; throw e; });
  if (declared !== undefined) {
    const parsed = (() => { try { return JSON.parse(declared) as unknown; } catch { return undefined; } })();
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string' && x.length > 0) || new Set(parsed).size !== parsed.length) {
      throw new DatasetError(labelsFile, 'expected a JSON array of distinct class names');
    }
    labels = parsed as string[];
  } else {
    labels = [...new Set(train.rows.flatMap((r) => (r.label === undefined ? [] : [r.label])))].sort();
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  const toRows = (part: { file: string; rows: RawRow[] }): TextRows => ({
    texts: part.rows.map((r) => r.text),
    y: Int32Array.from(part.rows, (r) => {
      if (r.label === undefined) return -1;
      const k = index.get(r.label);
      if (k === undefined) {
        throw new DatasetError(part.file, `line ${r.line}: unknown label "${r.label}" (${declared !== undefined ? 'labels.json lists' : 'the training rows have'} ${labels.slice(0, 10).join(', ')}${labels.length > 10 ? ', …' : ''})`);
      }
      return k;
    }),
  });
  return { train: toRows(train), test: toRows(test), labels, source: dir };
}

/** Writes a split in the JSONL layout (labels.json included); rows carry `extra` fields when given. */
export async function writeTextDataset(
  dir: string,
  split: { train: { text: string; label?: string }[]; test: { text: string; label?: string }[]; labels: string[] },
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = [join(dir, 'train.jsonl'), join(dir, 'test.jsonl'), join(dir, 'labels.json')];
  const jsonl = (rows: { text: string; label?: string }[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  await writeFile(files[0]!, jsonl(split.train));
  await writeFile(files[1]!, jsonl(split.test));
  await writeFile(files[2]!, `${JSON.stringify(split.labels)}\n`);
  return files;
}

/** Fixed stratified split: within each label, a seeded shuffle, the first ⌈(1 − testFraction)·n⌉ rows train. */
export function stratifiedSplit<T extends { label?: string }>(rows: T[], testFraction: number, shuffle: (n: number) => ArrayLike<number>): { train: T[]; test: T[] } {
  const byLabel = new Map<string, T[]>();
  for (const r of rows) {
    const k = r.label ?? '';
    if (!byLabel.has(k)) byLabel.set(k, []);
    byLabel.get(k)!.push(r);
  }
  const train: T[] = [];
  const test: T[] = [];
  for (const k of [...byLabel.keys()].sort()) {
    const group = byLabel.get(k)!;
    const order = shuffle(group.length);
    const cut = Math.ceil((1 - testFraction) * group.length);
    for (let i = 0; i < group.length; i++) (i < cut ? train : test).push(group[order[i]!]!);
  }
  return { train, test };
}
