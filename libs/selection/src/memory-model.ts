import { fitLineNonNegative, median, type LineFit } from './least-squares';
import type { MemorySource, Observation, Variant } from './types';

const MB = 1024 * 1024;

/**
 * Used until reports exist, in the devices' measure: the model's own memory (benchmark process' peak RSS minus its
 * RSS with the runtime loaded and no model; docs/models.md "Memory"). Measured with `npm run -s bench-model` on the
 * development machine: a 26 KB int8 MLP 7.9 MB (session, arena, inputs and the timed loop's garbage), a 38 MB fp32
 * MLP 71 MB (the weights, onnxruntime's copy of them while loading, the same base).
 */
export const MEMORY_PRIOR: LineFit = { a: 8, b: 1.65 };

export interface MemoryPrediction {
  mb: number;
  source: MemorySource;
}

/**
 * model memory ≈ base + k · model file MB. Memory does not depend on the class's speed (the agent does not stretch it),
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
    if (!byId.has(o.variantId) || o.modelMemoryMb === undefined || !(o.modelMemoryMb > 0)) continue;
    rss.set(o.variantId, [...(rss.get(o.variantId) ?? []), o.modelMemoryMb]);
  }
  const measured = new Map([...rss].map(([id, v]) => [id, median(v)]));
  const points = [...measured].map(([id, y]) => ({ x: byId.get(id)!.sizeBytes / MB, y }));
  if (new Set(points.map((p) => p.x)).size >= 2) {
    const line = fitLineNonNegative(points);
    if (line) return new MemoryModel(line, true, measured);
  }
  return new MemoryModel(MEMORY_PRIOR, false, measured);
}
