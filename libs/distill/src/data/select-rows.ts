import { Dataset, featureCount } from './dataset';

/** A new data set holding the given rows of `ds`, in the given order (copies the features). */
export function selectRows(ds: Dataset, rows: ArrayLike<number>): Dataset {
  const f = featureCount(ds);
  const x = new Float32Array(rows.length * f);
  const y = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    x.set(ds.x.subarray(r * f, (r + 1) * f), i * f);
    y[i] = ds.y[r];
  }
  return { x, y, n: rows.length, sampleShape: [...ds.sampleShape], numClasses: ds.numClasses };
}
