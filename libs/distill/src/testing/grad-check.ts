import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '@edgefleet/onnx';
import { Prng } from '@edgefleet/toolkit';

/**
 * Central-difference check of hand-derived gradients. `f` runs the graph at given inputs and
 * returns the scalar objective; `grads` holds the analytic gradient of each input. Each input is
 * probed along random directions: (f(θ+εv) − f(θ−εv)) / 2ε must equal ⟨∇f, v⟩.
 * Returns the worst relative error over all probes.
 */
export async function directionalCheck(
  f: (inputs: Record<string, Float32Array>) => Promise<number>,
  inputs: Record<string, Float32Array>,
  grads: Record<string, Float32Array>,
  opts: { eps: number; probes: number; seed: number },
): Promise<{ worst: number; report: string[] }> {
  const rng = new Prng(opts.seed);
  let worst = 0;
  const report: string[] = [];
  for (const name of Object.keys(grads)) {
    const base = inputs[name]!;
    const g = grads[name]!;
    for (let k = 0; k < opts.probes; k++) {
      const v = Float32Array.from(base, () => rng.normal());
      const shifted = (sign: number) => ({ ...inputs, [name]: Float32Array.from(base, (b, i) => b + sign * opts.eps * v[i]!) });
      const numeric = ((await f(shifted(1))) - (await f(shifted(-1)))) / (2 * opts.eps);
      let analytic = 0;
      for (let i = 0; i < g.length; i++) analytic += g[i]! * v[i]!;
      const rel = Math.abs(numeric - analytic) / Math.max(1e-3, Math.abs(numeric), Math.abs(analytic));
      worst = Math.max(worst, rel);
      report.push(`${name}: numeric ${numeric.toFixed(6)} analytic ${analytic.toFixed(6)} rel ${rel.toExponential(2)}`);
    }
  }
  return { worst, report };
}

/** Runs a model once with float32 inputs; returns float32 outputs by name. */
export async function runOnce(session: ort.InferenceSession, inputs: Record<string, { data: Float32Array; dims: number[] }>): Promise<Record<string, Float32Array>> {
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
  const out = await session.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

export const session = (g: GraphBuilder): Promise<ort.InferenceSession> =>
  ort.InferenceSession.create(g.toModel({ opset: 17 }), { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });

/** Σ r·y in float64: the scalar objective whose gradient w.r.t. y is r. */
export const dot = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

export const randn = (rng: Prng, n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * scale);
