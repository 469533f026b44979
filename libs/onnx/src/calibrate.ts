/**
 * Calibration for static int8: runs the float model on rows of the data set in a real onnxruntime session with
 * the tensors static quantization needs (calibrationTensors) exposed as extra outputs, and records their ranges.
 */
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { QuantizationError } from './quantize-error';
import { ActivationRange, calibrationTensors, normalizeGemms, quantizeInt8Static, QuantizeStaticOptions } from './quantize-static';
import type { QuantizeReport } from './quantize';

export interface CalibrationOptions {
  /**
   * 'minmax' (default): the observed extremes. A number p in (0, 100): the range is clipped to the p-th percentile
   * of the values below and above zero (e.g. 99.99), so a few outliers do not coarsen the step for every value.
   */
  method?: 'minmax' | number;
  /** Rows per session run (default 256). */
  chunk?: number;
  threads?: number;
}

export interface CalibrationRows {
  /** Row-major float32 samples, n × the model's per-sample input size. */
  x: Float32Array;
  n: number;
}

/** Percentile of a sorted array (nearest rank). */
const rank = (sorted: Float32Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

/** Observes the ranges of every tensor static quantization of `model` needs over `rows`. */
export async function calibrateInt8(model: Uint8Array, rows: CalibrationRows, opts: CalibrationOptions = {}): Promise<Map<string, ActivationRange>> {
  const tensors = calibrationTensors(model);
  // The graph quantizeInt8Static rewrites (Gemms normalized), so the observed tensors exist in both.
  const decoded = normalizeGemms(onnx.ModelProto.decode(model));
  const graph = decoded.graph!;
  const input = (graph.input ?? []).find((i) => !(graph.initializer ?? []).some((t) => t.name === i.name));
  if (!input) throw new QuantizationError('', 'calibrateInt8: model has no data input');
  const dims = (input.type?.tensorType?.shape?.dim ?? []).slice(1).map((d) => Number(d.dimValue ?? 0));
  const perSample = dims.reduce((a, b) => a * b, 1);
  if (!dims.length || dims.some((d) => !(d > 0)) || perSample * rows.n !== rows.x.length) {
    throw new QuantizationError('', `calibrateInt8: input "${input.name}" [batch, ${dims.join(', ')}] does not take ${rows.n} rows of ${rows.x.length / Math.max(1, rows.n)} values`);
  }
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  // Exposed as outputs with their element type only; onnxruntime infers the shapes.
  for (const t of tensors) if (!existing.has(t)) graph.output!.push({ name: t, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } });
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(decoded).finish(), { intraOpNumThreads: opts.threads ?? 1, graphOptimizationLevel: 'basic' });
  const method = opts.method ?? 'minmax';
  const ranges = new Map<string, ActivationRange>(tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
  const values = new Map<string, Float32Array[]>(tensors.map((t) => [t, []]));
  try {
    const chunk = opts.chunk ?? 256;
    for (let i = 0; i < rows.n; i += chunk) {
      const m = Math.min(chunk, rows.n - i);
      const out = await session.run({ [input.name!]: new ort.Tensor('float32', rows.x.subarray(i * perSample, (i + m) * perSample), [m, ...dims]) }, tensors);
      for (const t of tensors) {
        const data = out[t]!.data as Float32Array;
        const r = ranges.get(t)!;
        for (let j = 0; j < data.length; j++) {
          const v = data[j]!;
          if (v < r.min) r.min = v;
          if (v > r.max) r.max = v;
        }
        if (method !== 'minmax') values.get(t)!.push(data.slice());
      }
    }
  } finally {
    await session.release();
  }
  if (method !== 'minmax') {
    if (!(method > 0 && method < 100)) throw new QuantizationError('', `calibrateInt8: percentile ${method} is not in (0, 100)`);
    for (const t of tensors) {
      const all = values.get(t)!;
      const flat = new Float32Array(all.reduce((a, b) => a + b.length, 0));
      all.reduce((off, a) => (flat.set(a, off), off + a.length), 0);
      const neg = flat.filter((v) => v < 0).map((v) => -v).sort();
      const pos = flat.filter((v) => v > 0).sort();
      ranges.set(t, { min: neg.length ? -rank(neg, method) : 0, max: pos.length ? rank(pos, method) : 0 });
    }
  }
  return ranges;
}

/** Calibrates on `rows`, then quantizes statically: the one call the pipeline and the benchmarks use. */
export async function quantizeInt8Calibrated(
  model: Uint8Array, rows: CalibrationRows, opts: CalibrationOptions & QuantizeStaticOptions = {},
): Promise<QuantizeReport> {
  return quantizeInt8Static(model, await calibrateInt8(model, rows, opts), opts);
}
