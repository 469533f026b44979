/**
 * File roles of a data set: the four MNIST-layout IDX files, one CSV file, or a text data set's train and test
 * rows (JSONL or CSV with a text column) with optional labels.json (docs/text.md).
 */
export const IDX_ROLES = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;
export type IdxRole = (typeof IDX_ROLES)[number];
export const TEXT_ROLES = ['train', 'test', 'labels'] as const;
export type TextRole = (typeof TEXT_ROLES)[number];
export type FileRole = IdxRole | 'csv' | TextRole;
export const FILE_ROLES: readonly FileRole[] = [...IDX_ROLES, 'csv', ...TEXT_ROLES];

/** How a text data set's train / test part is written: the text reader tells them by file name. */
export type TextFileFormat = 'jsonl' | 'csv';

export interface StoredFile {
  sha256: string;
  size: number;
  gzip: boolean;
  /** Text data sets' train and test parts only. */
  text?: TextFileFormat;
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

export type DatasetFormat = 'idx' | 'csv' | 'text';

export const BUILTIN_DATASETS = ['fashion-mnist'] as const;
export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];
