/** File roles of a data set: the four MNIST-layout IDX files, or one CSV file. */
export const IDX_ROLES = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;
export type IdxRole = (typeof IDX_ROLES)[number];
export type FileRole = IdxRole | 'csv';
export const FILE_ROLES: readonly FileRole[] = [...IDX_ROLES, 'csv'];

export interface StoredFile {
  sha256: string;
  size: number;
  gzip: boolean;
}

export type DatasetFiles = Partial<Record<FileRole, StoredFile>>;

export interface DatasetLoadOptions {
  numClasses?: number;
  /** CSV only. */
  testFraction?: number;
  splitSeed?: number;
  /** CSV only: [C, H, W] when its rows are images; absent, the rows are tabular (see isImageShape). */
  imageShape?: number[];
}

export type DatasetFormat = 'idx' | 'csv';

export const BUILTIN_DATASETS = ['fashion-mnist'] as const;
export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];
