import { Dataset } from '../data/dataset';
import { Prng } from '@edgefleet/toolkit';
import { DistillConfigError } from '../errors';
import { EvalSet, TrainSet } from '../train/fit';

export interface PreparedSplit {
  train: TrainSet;
  validation: EvalSet;
  /** Rows of the original training set used for `train`, in order (to line teacher logits up). */
  trainRows: Int32Array;
}

const gather = (x: Float32Array, rows: Int32Array, width: number): Float32Array => {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(x.subarray(r * width, (r + 1) * width), i * width));
  return out;
};

/**
 * Seeded split of a training set: a `labeledFraction` of rows keep their labels, and the
 * validation rows (for early stopping) are drawn from those labeled rows only — a run with 10%
 * labels never peeks at the other 90%'s labels.
 */
export function prepareSplit(d: Dataset, labeledFraction: number, validationFraction: number, seed: number): PreparedSplit {
  if (!(labeledFraction > 0 && labeledFraction <= 1)) throw new DistillConfigError(`labeled fraction must be in (0, 1], got ${labeledFraction}`);
  if (!(validationFraction >= 0 && validationFraction < 1)) throw new DistillConfigError(`validation fraction must be in [0, 1), got ${validationFraction}`);
  const F = d.sampleShape.reduce((a, b) => a * b, 1);
  const perm = new Prng(seed ^ 0x5a17).permutation(d.n);
  const labeledCount = Math.max(1, Math.round(labeledFraction * d.n));
  const valCount = Math.min(labeledCount - 1, Math.round(validationFraction * labeledCount));
  const valRows = perm.slice(0, valCount);
  const trainRows = perm.slice(valCount).sort();
  const labeledSet = new Uint8Array(d.n);
  for (let i = valCount; i < labeledCount; i++) labeledSet[perm[i]!] = 1;
  if (trainRows.length === 0) throw new DistillConfigError('no training rows left after the validation split');
  return {
    trainRows,
    train: {
      x: gather(d.x, trainRows, F),
      y: Int32Array.from(trainRows, (r) => d.y[r]!),
      n: trainRows.length,
      sampleShape: d.sampleShape,
      numClasses: d.numClasses,
      labeled: labeledFraction < 1 ? Uint8Array.from(trainRows, (r) => labeledSet[r]!) : undefined,
    },
    validation: { x: gather(d.x, valRows, F), y: Int32Array.from(valRows, (r) => d.y[r]!), n: valRows.length },
  };
}
