/**
 * Bad input data. The message is one line naming the file and what is wrong with it, so a CLI can
 * print it as-is and an operator knows which file to fix.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';

  constructor(
    /** The file (or folder) at fault. */
    readonly file: string,
    /** What is wrong, without the file name. */
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

export const isDatasetError = (err: unknown): err is DatasetError => err instanceof DatasetError;
