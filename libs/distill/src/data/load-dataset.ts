import { stat } from 'node:fs/promises';
import { DatasetSplit } from './dataset';
import { DatasetError } from './dataset-error';
import { CsvLoadOptions, readCsvDataset } from './csv-dataset';
import { IDX_FILES, isIdxFolder, readIdxDataset } from './idx-dataset';

export type LoadDatasetOptions = CsvLoadOptions;

/**
 * Loads a data set from a folder of MNIST-layout IDX files or from a CSV file (`.csv` / `.csv.gz`).
 * `numClasses` applies to both; the split options only to CSV (IDX folders come split).
 */
export async function loadDataset(path: string, opts: LoadDatasetOptions = {}): Promise<DatasetSplit> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new DatasetError(path, 'no such file or folder');
    throw err;
  });
  if (info.isDirectory()) {
    if (!(await isIdxFolder(path))) {
      throw new DatasetError(path, `not an MNIST-layout folder: expected ${Object.values(IDX_FILES).join(', ')} (plain or .gz)`);
    }
    return readIdxDataset(path, { numClasses: opts.numClasses });
  }
  if (/\.csv(\.gz)?$/i.test(path)) return readCsvDataset(path, opts);
  throw new DatasetError(path, 'unknown data set format: give a folder of IDX files or a .csv / .csv.gz file');
}
