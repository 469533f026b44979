import * as ort from 'onnxruntime-node';
import type { EvalSet } from '@edgefleet/contracts';
import { BenchmarkError, ModelLoadError } from '../lib/errors';
import { fromFloat16Bits, toFloat16Array } from './float16';

type TensorMeta = Extract<ort.InferenceSession.ValueMetadata, { isTensor: true }>;

/** The model input the eval set feeds: its named input, or the first one. */
export function evalInput(session: ort.InferenceSession, set: EvalSet): TensorMeta {
  const name = set.inputName || session.inputNames[0];
  const meta = session.inputMetadata.find((m) => m.name === name);
  if (!meta) throw new ModelLoadError(`eval set feeds input "${name}", the model has ${session.inputNames.join(', ')}`);
  if (!meta.isTensor) throw new ModelLoadError(`input ${name} is not a tensor`);
  const rest = meta.shape.slice(1);
  const fits = rest.length === set.sampleShape.length && rest.every((d, i) => typeof d !== 'number' || d <= 0 || d === set.sampleShape[i]);
  if (!fits) throw new ModelLoadError(`eval samples of shape [${set.sampleShape}] do not fit input ${name} [${meta.shape}]`);
  if (!['float32', 'float16', 'float64'].includes(meta.type)) throw new ModelLoadError(`eval set holds floats, input ${name} is ${meta.type}`);
  return meta;
}

/** Fixed batch dim of the input, or `preferred` when it is symbolic. */
export function batchSizeFor(meta: TensorMeta, preferred: number): number {
  const d = meta.shape[0];
  return typeof d === 'number' && d > 0 ? d : preferred;
}

/** `count` samples starting at `start` (wrapping around) as one tensor of the input's dtype. */
export function evalBatchTensor(set: EvalSet, meta: TensorMeta, start: number, count: number): ort.Tensor {
  const features = set.sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * features);
  for (let i = 0; i < count; i++) {
    const s = (start + i) % set.n;
    x.set(set.x.subarray(s * features, (s + 1) * features), i * features);
  }
  const dims = [count, ...set.sampleShape];
  if (meta.type === 'float16') return new ort.Tensor('float16', toFloat16Array(x), dims);
  if (meta.type === 'float64') return new ort.Tensor('float64', Float64Array.from(x), dims);
  return new ort.Tensor('float32', x, dims);
}

/** Index of the largest value in each of `rows` rows of the first output. */
export function argmaxRows(t: ort.Tensor, rows: number): number[] {
  const data = t.data;
  if (typeof data[0] === 'string' || typeof data[0] === 'bigint') throw new BenchmarkError(`first output is ${t.type}, cannot take argmax`);
  const read: (i: number) => number = t.type === 'float16' ? (i) => fromFloat16Bits((data as Uint16Array)[i]!) : (i) => Number((data as Float32Array)[i]);
  const cols = data.length / rows;
  if (!Number.isInteger(cols) || cols < 1) throw new BenchmarkError(`first output has ${data.length} values, not divisible into ${rows} rows`);
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (read(r * cols + c) > read(r * cols + best)) best = c;
    out.push(best);
  }
  return out;
}

/**
 * Top-1 accuracy on the eval set, batched. A fixed batch dim larger than the remainder is padded with
 * wrapped-around samples whose predictions are ignored.
 */
export async function measureAccuracy(
  session: ort.InferenceSession,
  set: EvalSet,
  batch: number,
  otherFeeds: Record<string, ort.Tensor>,
  onBatch?: () => void,
): Promise<number> {
  const meta = evalInput(session, set);
  const b = batchSizeFor(meta, batch);
  let correct = 0;
  for (let start = 0; start < set.n; start += b) {
    const real = Math.min(b, set.n - start);
    const fixed = typeof meta.shape[0] === 'number' && meta.shape[0] > 0;
    const out = await session.run({ ...otherFeeds, [meta.name]: evalBatchTensor(set, meta, start, fixed ? b : real) });
    const preds = argmaxRows(out[session.outputNames[0]!]!, fixed ? b : real);
    for (let i = 0; i < real; i++) if (preds[i] === set.y[start + i]) correct++;
    onBatch?.();
  }
  return correct / set.n;
}
