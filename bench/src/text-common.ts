import * as ort from 'onnxruntime-node';
import { featurize, type FeaturizerSpec } from '@edgefleet/contracts';
import type { TextRows, TextSplit } from '@edgefleet/distill';

export const log = (s: string): void => { process.stderr.write(`${s}\n`); };
export const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
export const row = (cells: (string | number)[], widths: number[]): string => cells.map((c, i) => String(c).padEnd(widths[i] ?? 12)).join(' ');

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/**
 * The first rows of each label, in file order (the data set files are already a seeded shuffle within each label),
 * keeping the label shares: a fixed, stratified subset.
 */
export function stratifiedHead(rows: TextRows, max: number): TextRows {
  if (rows.texts.length <= max) return rows;
  const total = new Map<number, number>();
  for (const y of rows.y) total.set(y, (total.get(y) ?? 0) + 1);
  const quota = new Map([...total].map(([y, n]) => [y, Math.round((n / rows.texts.length) * max)]));
  const keep: number[] = [];
  rows.y.forEach((y, i) => {
    const q = quota.get(y)!;
    if (q > 0) { keep.push(i); quota.set(y, q - 1); }
  });
  return { texts: keep.map((i) => rows.texts[i]!), y: Int32Array.from(keep, (i) => rows.y[i]!) };
}

export const subset = (d: TextSplit, train: number, test: number): TextSplit => ({ ...d, train: stratifiedHead(d.train, train), test: stratifiedHead(d.test, test) });

/**
 * Batch-1 latency of a text model as a device serves it: featurize the text with the shared spec, then one
 * onnxruntime run (int8 model, 1 thread). Texts rotate so caches see variety.
 */
export async function studentLatency(model: Uint8Array, spec: FeaturizerSpec, texts: string[], runs = 300): Promise<{ p50Ms: number; p95Ms: number; featurizeP50Ms: number }> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const input = session.inputNames[0]!;
  const x = new Float32Array(spec.buckets);
  const one = async (t: string) => {
    featurize(spec, t, x);
    return session.run({ [input]: new ort.Tensor('float32', x, [1, spec.buckets]) });
  };
  for (let i = 0; i < 30; i++) await one(texts[i % texts.length]!);
  const total: number[] = [];
  const feat: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = texts[i % texts.length]!;
    const t0 = performance.now();
    featurize(spec, t, x);
    const t1 = performance.now();
    await session.run({ [input]: new ort.Tensor('float32', x, [1, spec.buckets]) });
    total.push(performance.now() - t0);
    feat.push(t1 - t0);
  }
  await session.release();
  return { p50Ms: percentile(total, 50), p95Ms: percentile(total, 95), featurizeP50Ms: percentile(feat, 50) };
}
