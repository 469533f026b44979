import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetSplit, IDX_FILES, loadDataset } from '@edgefleet/distill';
import type { ArtifactStore } from '@edgefleet/platform';
import type { DatasetFiles, DatasetFormat, DatasetLoadOptions, FileRole } from './dataset.types';

const GZIP_MAGIC = [0x1f, 0x8b];
export const isGzip = (head: Uint8Array): boolean => head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];

/** The name the distill readers expect for a role (they tell gzip from the `.gz` suffix). */
function fileName(role: FileRole, gzip: boolean): string {
  const base = role === 'csv' ? 'data.csv' : IDX_FILES[role];
  return gzip ? `${base}.gz` : base;
}

export interface DatasetFileAt {
  path: string;
  gzip: boolean;
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
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-dataset-'));
  try {
    for (const [role, file] of Object.entries(files) as [FileRole, DatasetFileAt][]) {
      await symlink(file.path, join(dir, fileName(role, file.gzip)));
    }
    const path = format === 'csv' ? join(dir, fileName('csv', files.csv!.gzip)) : dir;
    return await loadDataset(path, opts);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Loads a data set whose files live in the artifact store. */
export function loadStoredDataset(store: ArtifactStore, format: DatasetFormat, files: DatasetFiles, opts: DatasetLoadOptions): Promise<DatasetSplit> {
  const at = Object.fromEntries(Object.entries(files).map(([role, f]) => [role, { path: store.pathOf(f.sha256), gzip: f.gzip }]));
  return loadDatasetFiles(format, at, opts);
}
