/**
 * A labelled classification data set held in memory, as training and evaluation consume it.
 * Features are float32 in [0, 1] (images are scaled by 1/255), row-major, `n × product(sampleShape)`.
 */
export interface Dataset {
  /** n × features, row-major. */
  x: Float32Array;
  /** class index per row, 0 ≤ y < numClasses. */
  y: Int32Array;
  n: number;
  /** Shape of one sample without the batch dimension: [784] for flat rows, [1, 28, 28] for images. */
  sampleShape: number[];
  numClasses: number;
}

export interface DatasetSplit {
  train: Dataset;
  test: Dataset;
  /** Where it came from, for error messages and lineage. */
  source: string;
}

export const featureCount = (d: Pick<Dataset, 'sampleShape'>): number => d.sampleShape.reduce((a, b) => a * b, 1);
