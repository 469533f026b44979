import { fitLineNonNegative, median, type LineFit } from './least-squares';
import type { MemorySource, Observation, Variant } from './types';

const MB = 1024 * 1024;

/**
 * Used until reports exist: an inference session holds the weights about twice (the file's bytes and
 * onnxruntime's prepacked copy) plus a runtime base (arena, thread pool).
 */
export const MEMORY_PRIOR: LineFit = { a: 16, b: 2 };

export interface MemoryPrediction {
  mb: number;
  source: MemorySource;
}

/**
 * peak RSS ≈ base + k · model MB. Memory does not depend on the class's speed (the agent does not stretch it),
 * so every report of a variant counts, whatever device sent it.
 */
export class MemoryModel {
  constructor(readonly line: LineFit, readonly fitted: boolean, private readonly measured: ReadonlyMap<string, number>) {}

  /**
   * Never below the model's own bytes: the weights are resident whatever a report says (the agent measures RSS
   * growth while benchmarking, after the session has loaded, which can be ~0).
   */
  predict(v: Pick<Variant, 'id' | 'sizeBytes'>): MemoryPrediction {
    const m = this.measured.get(v.id);
    if (m !== undefined) return { mb: Math.max(m, v.sizeBytes / MB), source: 'measured' };
    return this.predictBytes(v.sizeBytes);
  }

  predictBytes(sizeBytes: number): MemoryPrediction {
    return { mb: Math.max(this.line.a + this.line.b * (sizeBytes / MB), sizeBytes / MB), source: this.fitted ? 'fit' : 'prior' };
  }
}

export function fitMemoryModel(obs: readonly Observation[], variants: readonly Variant[]): MemoryModel {
  const byId = new Map(variants.map((v) => [v.id, v]));
  const rss = new Map<string, number[]>();
  for (const o of obs) {
    if (!byId.has(o.variantId) || o.peakRssMb === undefined || !(o.peakRssMb > 0)) continue;
    rss.set(o.variantId, [...(rss.get(o.variantId) ?? []), o.peakRssMb]);
  }
  const measured = new Map([...rss].map(([id, v]) => [id, median(v)]));
  const points = [...measured].map(([id, y]) => ({ x: byId.get(id)!.sizeBytes / MB, y }));
  if (new Set(points.map((p) => p.x)).size >= 2) {
    const line = fitLineNonNegative(points);
    if (line) return new MemoryModel(line, true, measured);
  }
  return new MemoryModel(MEMORY_PRIOR, false, measured);
}
