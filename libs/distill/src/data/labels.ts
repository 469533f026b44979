import { DatasetError } from './dataset-error';

export interface LabelSource {
  y: Int32Array;
  /** File the labels came from, for error messages. */
  file: string;
  /** Maps a row index to how the user finds it ("index 5", "line 7"). */
  where?: (row: number) => string;
}

const at = (s: LabelSource, row: number): string => (s.where ? s.where(row) : `index ${row}`);

/**
 * Decides the class count and checks every label against it.
 * Given `numClasses`, any label outside 0..numClasses-1 is an error. Without it the count is inferred
 * from the training labels (max + 1), and must be dense: a corrupt byte such as 200 in a 10-class set
 * would otherwise silently create 191 empty classes.
 */
export function resolveNumClasses(train: LabelSource, test: LabelSource, numClasses?: number): number {
  for (const s of [train, test]) {
    for (let i = 0; i < s.y.length; i++) {
      if (s.y[i] < 0) throw new DatasetError(s.file, `label ${s.y[i]} at ${at(s, i)} is negative`);
    }
  }
  let k = numClasses;
  if (k === undefined) {
    const seen = new Set<number>();
    let max = -1;
    train.y.forEach((v) => {
      seen.add(v);
      if (v > max) max = v;
    });
    if (max < 0) throw new DatasetError(train.file, 'no training labels');
    if (seen.size !== max + 1) {
      const row = train.y.indexOf(max);
      throw new DatasetError(
        train.file,
        `label ${max} at ${at(train, row)} is out of range: only ${seen.size} distinct classes occur (pass numClasses if classes are really missing)`,
      );
    }
    k = max + 1;
  }
  for (const s of [train, test]) {
    for (let i = 0; i < s.y.length; i++) {
      if (s.y[i] >= k) throw new DatasetError(s.file, `label ${s.y[i]} at ${at(s, i)} is out of range 0..${k - 1}`);
    }
  }
  return k;
}
