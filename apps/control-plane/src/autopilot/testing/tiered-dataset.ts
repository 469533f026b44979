/**
 * Test-only: a synthetic data set on which a bigger model really is more accurate, so "the most accurate variant
 * that fits" differs per device class. Samples come from many small clusters in a low-dimensional latent space,
 * each cluster labelled with one of the classes (so a class is a union of scattered clusters), embedded linearly
 * into `features` dimensions plus noise. A network needs roughly one hidden unit per cluster boundary to tell
 * them apart: measured with libs/distill (2000 features, 10 epochs), the default teacher 2000-512-512 scored 0.98,
 * a 512-wide student 0.94, a 256-wide one 0.95, a
 * 64-wide one 0.86 and a 48-wide one 0.81 (one hidden layer saturates; the teacher's second layer does not).
 *
 * 2000 features (not a square number) keeps the default teacher an MLP of ~1.3 M MACs, the top latency tier.
 */
import { Prng } from '@edgefleet/toolkit';

export interface TieredDatasetOptions {
  rows?: number;
  features?: number;
  classes?: number;
  latentDims?: number;
  clusters?: number;
  /** Spread of a cluster in latent units (centres are standard normal). */
  spread?: number;
  seed?: number;
}

/** A CSV (header, label first, then the features with two decimals) for POST /api/v1/datasets. */
export function tieredDatasetCsv(o: TieredDatasetOptions = {}): string {
  const rows = o.rows ?? 3000;
  const F = o.features ?? 2000;
  const C = o.classes ?? 10;
  const D = o.latentDims ?? 12;
  const M = o.clusters ?? 150;
  const spread = o.spread ?? 0.35;
  const rng = new Prng(o.seed ?? 5);
  const centres = Array.from({ length: M }, () => Array.from({ length: D }, () => rng.normal()));
  const projection = Float32Array.from({ length: F * D }, () => rng.normal() / Math.sqrt(D));
  const lines: string[] = ['label,' + Array.from({ length: F }, (_, i) => `f${i}`).join(',')];
  const z = new Float64Array(D);
  const cells = new Array<string>(F + 1);
  for (let row = 0; row < rows; row++) {
    const m = rng.int(M);
    for (let d = 0; d < D; d++) z[d] = centres[m]![d]! + spread * rng.normal();
    cells[0] = String(m % C);
    for (let f = 0; f < F; f++) {
      let v = 0.1 * rng.normal();
      for (let d = 0; d < D; d++) v += projection[f * D + d]! * z[d]!;
      cells[f + 1] = (Math.round(v * 100) / 100).toString();
    }
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}
