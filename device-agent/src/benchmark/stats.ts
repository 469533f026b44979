import type { LatencyStats } from '@edgefleet/contracts';

/** Percentile by linear interpolation between closest ranks (numpy's default), on a sorted copy. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} outside 0..100`);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Latency summary in ms, every value multiplied by `scale` (the simulation slowdown). */
export function summarize(samplesMs: readonly number[], scale = 1): LatencyStats {
  const s = samplesMs.map((x) => x * scale).sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    p50Ms: round(percentile(s, 50)),
    p95Ms: round(percentile(s, 95)),
    p99Ms: round(percentile(s, 99)),
    meanMs: round(mean),
    minMs: round(s[0]!),
    maxMs: round(s[s.length - 1]!),
  };
}
