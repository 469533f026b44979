import { Dataset } from './dataset';
import { seededPermutation } from '@edgefleet/toolkit';
import { selectRows } from './select-rows';

/**
 * Which training rows keep their label when only `fraction` of them are labelled (semi-supervised
 * distillation: the teacher labels the rest). Stratified: each class keeps round(count × fraction)
 * rows, at least one, so rare classes do not vanish at small fractions. Returns 1 = labelled, 0 = not.
 */
export function subsetLabels(ds: Pick<Dataset, 'y' | 'n' | 'numClasses'>, fraction: number, seed: number): Uint8Array {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`labelled fraction must be in (0, 1], got ${fraction}`);
  const mask = new Uint8Array(ds.n);
  if (fraction === 1) return mask.fill(1);
  const byClass: number[][] = Array.from({ length: ds.numClasses }, () => []);
  // Visit rows in a seeded order so the chosen rows of each class are a random sample, not the first ones.
  const order = seededPermutation(ds.n, seed);
  for (const r of order) byClass[ds.y[r]].push(r);
  for (const rows of byClass) {
    if (rows.length === 0) continue;
    const keep = Math.max(1, Math.round(rows.length * fraction));
    for (let i = 0; i < keep; i++) mask[rows[i]] = 1;
  }
  return mask;
}

/**
 * A seeded random split of a training set into train and validation parts (rows are copied).
 * The same seed and data give the same split on every machine.
 */
export function trainValidationSplit(ds: Dataset, validationFraction: number, seed: number): { train: Dataset; validation: Dataset } {
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new RangeError(`validation fraction must be between 0 and 1, got ${validationFraction}`);
  }
  const nVal = Math.min(ds.n - 1, Math.max(1, Math.round(ds.n * validationFraction)));
  const order = seededPermutation(ds.n, seed);
  return {
    train: selectRows(ds, order.subarray(0, ds.n - nVal)),
    validation: selectRows(ds, order.subarray(ds.n - nVal)),
  };
}
