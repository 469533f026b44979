import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetSplit, IDX_FILES, loadDataset, readTextDataset, type TextSplit } from '@edgefleet/distill';
import type { ArtifactStore } from '@edgefleet/platform';
import type { DatasetFiles, DatasetFormat, DatasetLoadOptions, FileRole, TextFileFormat } from './dataset.types';

const GZIP_MAGIC = [0x1f, 0x8b];
export const isGzip = (head: Uint8Array): boolean => head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];

/** The name the distill readers expect for a role (they tell gzip from the `.gz` suffix, text formats from theirs). */
function fileName(role: FileRole, file: DatasetFileAt): string {
  if (role === 'labels') return 'labels.json';
  if (role === 'train' || role === 'test') return `${role}.${file.text ?? 'jsonl'}`;
  const base = role === 'csv' ? 'data.csv' : IDX_FILES[role];
  return file.gzip ? `${base}.gz` : base;
}

export interface DatasetFileAt {
  path: string;
  gzip: boolean;
  /** Text train / test parts: how the rows are written. */
  text?: TextFileFormat;
}

/** Links the files into a temporary folder under the names libs/distill expects, runs `read` there, removes the folder. */
async function withLinkedFiles<T>(files: Partial<Record<FileRole, DatasetFileAt>>, read: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-dataset-'));
  try {
    for (const [role, file] of Object.entries(files) as [FileRole, DatasetFileAt][]) {
      await symlink(file.path, join(dir, fileName(role, file)));
    }
    return await read(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Loads a data set from files anywhere on disk (staged uploads or the artifact store): links them into a
 * temporary folder under the names libs/distill expects and loads it there. The folder is removed before
 * returning (the data is in memory). Throws the reader's DatasetError for unusable content.
 */
export async function loadDatasetFiles(
  format: DatasetFormat,
  files: Partial<Record<FileRole, DatasetFileAt>>,
  opts: DatasetLoadOptions,
): Promise<DatasetSplit> {
  if (format === 'text') throw new Error('a text data set is read with loadTextDatasetFiles');
  return withLinkedFiles(files, (dir) => loadDataset(format === 'csv' ? join(dir, fileName('csv', files.csv!)) : dir, opts));
}

/** A text data set's parts (train, test, optional labels) read by libs/distill's one text reader (readTextDataset). */
export function loadTextDatasetFiles(files: Partial<Record<FileRole, DatasetFileAt>>): Promise<TextSplit> {
  return withLinkedFiles(files, (dir) => readTextDataset(dir));
}

async function storedAt(store: ArtifactStore, files: DatasetFiles): Promise<Partial<Record<FileRole, DatasetFileAt>>> {
  const at: Partial<Record<FileRole, DatasetFileAt>> = {};
  for (const [role, f] of Object.entries(files) as [FileRole, DatasetFiles[FileRole]][]) {
    if (f) at[role] = { path: await store.localPath(f.sha256), gzip: f.gzip, ...(f.text ? { text: f.text } : {}) };
  }
  return at;
}

/** Loads a data set whose files live in the artifact store. */
export async function loadStoredDataset(store: ArtifactStore, format: DatasetFormat, files: DatasetFiles, opts: DatasetLoadOptions): Promise<DatasetSplit> {
  return loadDatasetFiles(format, await storedAt(store, files), opts);
}

/** Loads a text data set whose files live in the artifact store. */
export async function loadStoredTextDataset(store: ArtifactStore, files: DatasetFiles): Promise<TextSplit> {
  return loadTextDatasetFiles(await storedAt(store, files));
}
