import * as ort from 'onnxruntime-node';
import { DEFAULT_THRESHOLD, SPARSE_INPUTS, evalSetProblems, evalTaskOf, type EvalSet, type EvalTask, type TaskMetric } from '@edgefleet/contracts';
import { BenchmarkError, ModelLoadError } from '../lib/errors';
import { fromFloat16Bits, toFloat16Array } from './float16';

type TensorMeta = Extract<ort.InferenceSession.ValueMetadata, { isTensor: true }>;

/**
 * The model input the eval set feeds: its named input, or the first one. A sparse-layout text model's eval set
 * feeds two (`indices`, `weights`): the `indices` one is returned (it carries the batch dimension).
 */
export function evalInput(session: ort.InferenceSession, set: EvalSet): TensorMeta {
  if (set.sparse) {
    const problems = evalSetProblems(set, session.inputMetadata.map((m) => ({ name: m.name, type: m.isTensor ? m.type : 'non-tensor', dims: m.isTensor ? m.shape.map((d) => (typeof d === 'number' ? d : String(d))) : [] })), []);
    if (problems.length) throw new ModelLoadError(problems.join('; '));
    return session.inputMetadata.find((m) => m.name === SPARSE_INPUTS.indices) as TensorMeta;
  }
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

/**
 * The feeds of `count` eval samples from `start` (wrapping around): the dense tensor for `meta`, or for a
 * sparse-layout text model each row's non-zero buckets as `indices` and `weights`, padded with weight 0.
 */
export function evalBatchFeeds(set: EvalSet, meta: TensorMeta, start: number, count: number): Record<string, ort.Tensor> {
  if (!set.sparse) return { [meta.name]: evalBatchTensor(set, meta, start, count) };
  const features = set.sampleShape.reduce((a, b) => a * b, 1);
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) {
    const s = (start + i) % set.n;
    const row: number[] = [];
    for (let j = s * features; j < (s + 1) * features; j++) if (set.x[j] !== 0) row.push(j - s * features);
    rows.push(row);
  }
  const width = Math.max(1, ...rows.map((r) => r.length));
  const indices = new Int32Array(count * width);
  const weights = new Float32Array(count * width);
  rows.forEach((r, i) => r.forEach((b, k) => { indices[i * width + k] = b; weights[i * width + k] = set.x[((start + i) % set.n) * features + b]!; }));
  return { [SPARSE_INPUTS.indices]: new ort.Tensor('int32', indices, [count, width]), [SPARSE_INPUTS.weights]: new ort.Tensor('float32', weights, [count, width]) };
}

/** The first output as `rows` rows of numbers (float16 decoded). */
export function outputRows(t: ort.Tensor, rows: number): { cols: number; read: (r: number, c: number) => number } {
  const data = t.data;
  if (typeof data[0] === 'string' || typeof data[0] === 'bigint') throw new BenchmarkError(`first output is ${t.type}, cannot score it`);
  const read: (i: number) => number = t.type === 'float16' ? (i) => fromFloat16Bits((data as Uint16Array)[i]!) : (i) => Number((data as Float32Array)[i]);
  const cols = data.length / rows;
  if (!Number.isInteger(cols) || cols < 1) throw new BenchmarkError(`first output has ${data.length} values, not divisible into ${rows} rows`);
  return { cols, read: (r, c) => read(r * cols + c) };
}

/** Index of the largest value in each of `rows` rows of the first output. */
export function argmaxRows(t: ort.Tensor, rows: number): number[] {
  const { cols, read } = outputRows(t, rows);
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (read(r, c) > read(r, best)) best = c;
    out.push(best);
  }
  return out;
}

export interface TaskScore {
  metric: TaskMetric;
  /** The fraction scored right, for the tasks that have one (the `minAccuracy` gate judges it). */
  accuracy?: number;
}

/** Running totals of one task's metric over batches. */
class Scorer {
  private right = 0;
  private decisions = 0;
  private absErr = 0;
  private sqErr = 0;
  private values = 0;
  readonly task: EvalTask;
  readonly threshold: number;

  constructor(private readonly set: EvalSet) {
    this.task = evalTaskOf(set);
    this.threshold = set.threshold ?? DEFAULT_THRESHOLD;
  }

  add(out: ort.Tensor, rows: number, start: number, real: number): void {
    const { set, task } = this;
    if (task === 'multiclass') {
      const preds = argmaxRows(out, rows);
      for (let i = 0; i < real; i++) if (preds[i] === set.y[start + i]) this.right++;
      this.decisions += real;
      return;
    }
    const { cols, read } = outputRows(out, rows);
    const width = task === 'binary' ? (cols === 1 || cols === 2 ? cols : 0) : set.numClasses;
    if (width === 0 || cols !== width) throw new BenchmarkError(`first output has ${cols} values per sample, a ${task} eval set needs ${task === 'binary' ? '1 (a probability) or 2' : set.numClasses}`);
    for (let i = 0; i < real; i++) {
      const s = start + i;
      if (task === 'binary') {
        // One sigmoid probability, or two columns whose second is the positive class.
        const positive = read(i, cols - 1) >= this.threshold;
        if ((positive ? 1 : 0) === set.y[s]) this.right++;
        this.decisions++;
        continue;
      }
      for (let c = 0; c < width; c++) {
        const want = set.targets![s * width + c]!;
        const got = read(i, c);
        if (task === 'multilabel') {
          if ((got >= this.threshold ? 1 : 0) === want) this.right++;
          this.decisions++;
        } else {
          this.absErr += Math.abs(got - want);
          this.sqErr += (got - want) ** 2;
          this.values++;
        }
      }
    }
  }

  result(): TaskScore {
    const round = (v: number) => Math.round(v * 1e6) / 1e6;
    if (this.task === 'regression') {
      return { metric: { task: 'regression', name: 'mae', value: round(this.absErr / this.values), rmse: round(Math.sqrt(this.sqErr / this.values)) } };
    }
    const accuracy = round(this.right / this.decisions);
    const name = this.task === 'multiclass' ? 'top1-accuracy' : this.task === 'binary' ? 'binary-accuracy' : 'hamming-accuracy';
    return { accuracy, metric: { task: this.task, name, value: accuracy, ...(this.task !== 'multiclass' && { threshold: this.threshold }) } };
  }
}

/**
 * The eval set's task metric (docs/models.md, "Task types"), batched: top-1 accuracy (multiclass), accuracy at the
 * threshold (binary), per-label accuracy (multilabel), MAE and RMSE (regression). A fixed batch dim larger than the
 * remainder is padded with wrapped-around samples whose predictions are ignored. `run` runs one batch: a recurrent
 * model's runner carries its state from batch to batch, so with batch 1 the samples are the frames of one stream.
 */
export async function scoreEvalSet(
  session: ort.InferenceSession,
  set: EvalSet,
  batch: number,
  otherFeeds: Record<string, ort.Tensor>,
  onBatch?: () => void,
  run: (feeds: Record<string, ort.Tensor>) => Promise<ort.InferenceSession.OnnxValueMapType> = (feeds) => session.run(feeds),
): Promise<TaskScore> {
  const meta = evalInput(session, set);
  const b = batchSizeFor(meta, batch);
  const scorer = new Scorer(set);
  const fixed = typeof meta.shape[0] === 'number' && meta.shape[0] > 0;
  for (let start = 0; start < set.n; start += b) {
    const real = Math.min(b, set.n - start);
    const rows = fixed ? b : real;
    const out = await run({ ...otherFeeds, ...evalBatchFeeds(set, meta, start, rows) });
    scorer.add(out[session.outputNames[0]!]!, rows, start, real);
    onBatch?.();
  }
  return scorer.result();
}
