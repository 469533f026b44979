import { Network } from '../model/network';
import { size } from '../layers/layer';
import { OptimizerConfig } from '../graph/optimizer';
import { Prng } from '@edgefleet/toolkit';
import { throwIfAborted, DistillConfigError } from '../errors';
import { Batch, Trainer } from './trainer';
import { cosineWithWarmup } from './schedule';
import { argmaxRows, matchRate } from './metrics';

/** Training rows; `labeled[i] = 0` marks a row whose label may not be used (teacher-only). */
export interface TrainSet {
  x: Float32Array;
  y: Int32Array;
  n: number;
  sampleShape: number[];
  numClasses: number;
  labeled?: Uint8Array;
  /** Teacher logits, n × numClasses: enables the KD term. */
  teacher?: Float32Array;
}

export interface EvalSet {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  warmupEpochs: number;
  optimizer: OptimizerConfig;
  /** Weight of the KD term on labeled rows (unlabeled rows are KD only). Ignored without a teacher. */
  alpha: number;
  temperature: number;
  seed: number;
  threads: number;
  /** Stop after this many epochs without a better validation accuracy (0 = never). */
  patience: number;
  signal?: AbortSignal;
  onEpoch?: (r: EpochReport) => void;
  /** Starting weights (default: fresh init from the seed). */
  initial?: Map<string, Float32Array>;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  loss: number;
  valAccuracy?: number;
  lr: number;
  elapsedMs: number;
  etaMs: number;
  samplesPerSec: number;
}

export interface FitResult {
  /** Best-on-validation weights (last ones without a validation set). */
  params: Map<string, Float32Array>;
  bestValAccuracy?: number;
  epochsRun: number;
  history: EpochReport[];
  samplesPerSec: number;
  trainMs: number;
}

export async function accuracyOf(trainer: Trainer, set: EvalSet): Promise<number> {
  const logits = await trainer.predict(set.x, set.n);
  return matchRate(argmaxRows(logits, set.n, trainer.net.numClasses), set.y);
}

/**
 * Mini-batch training with a seeded shuffle, cosine schedule, and early stopping on `val`.
 * With a teacher, labeled rows mix KD (α) and cross-entropy (1−α); unlabeled rows learn from
 * the teacher alone. Without one, only labeled rows are used.
 */
export async function fit(net: Network, data: TrainSet, val: EvalSet | undefined, o: FitOptions): Promise<FitResult> {
  const F = size(net.sampleShape);
  const K = net.numClasses;
  if (data.x.length !== data.n * F) throw new DistillConfigError(`training data has ${data.x.length} values, expected ${data.n}×${F}`);
  const distill = data.teacher !== undefined;
  const rows = Int32Array.from({ length: data.n }, (_, i) => i).filter((i) => distill || !data.labeled || data.labeled[i] === 1);
  if (rows.length === 0) throw new DistillConfigError('no training rows (no labels and no teacher)');
  const trainer = await Trainer.create(net, { optimizer: o.optimizer, distill, temperature: o.temperature, seed: o.seed, threads: o.threads }, o.initial);
  try {
    const rng = new Prng(o.seed ^ 0x5eed);
    const B = Math.min(o.batchSize, rows.length);
    const stepsPerEpoch = Math.ceil(rows.length / B);
    const total = stepsPerEpoch * o.epochs;
    const warmup = Math.round(o.warmupEpochs * stepsPerEpoch);
    const batch: Batch = {
      n: B,
      x: new Float32Array(B * F),
      target: new Float32Array(B * K),
      ceWeight: new Float32Array(B),
      teacher: distill ? new Float32Array(B * K) : undefined,
      kdWeight: distill ? new Float32Array(B) : undefined,
    };
    const history: EpochReport[] = [];
    let best: { acc: number; params: Map<string, Float32Array> } | undefined;
    let sinceBest = 0;
    const started = Date.now();
    let seen = 0;
    let epoch = 0;
    for (epoch = 1; epoch <= o.epochs; epoch++) {
      const order = rng.shuffle(Int32Array.from(rows));
      let lossSum = 0;
      let lr = o.lr;
      for (let s = 0; s < stepsPerEpoch; s++) {
        throwIfAborted(o.signal);
        const from = s * B;
        const n = Math.min(B, order.length - from);
        fillBatch(batch, data, order.subarray(from, from + n), F, K, o.alpha, distill);
        lr = cosineWithWarmup(trainer.steps, total, warmup, o.lr);
        const view: Batch = n === B ? batch : sliceBatch(batch, n, F, K);
        lossSum += (await trainer.step(view, lr)) * n;
        seen += n;
      }
      const valAccuracy = val ? await accuracyOf(trainer, val) : undefined;
      const elapsedMs = Date.now() - started;
      const report: EpochReport = {
        epoch, epochs: o.epochs, loss: lossSum / order.length, valAccuracy, lr, elapsedMs,
        etaMs: (elapsedMs / epoch) * (o.epochs - epoch), samplesPerSec: seen / (elapsedMs / 1000),
      };
      history.push(report);
      o.onEpoch?.(report);
      if (valAccuracy !== undefined) {
        if (!best || valAccuracy > best.acc) {
          best = { acc: valAccuracy, params: trainer.snapshot() };
          sinceBest = 0;
        } else if (o.patience > 0 && ++sinceBest >= o.patience) {
          break;
        }
      }
    }
    const trainMs = Date.now() - started;
    return {
      params: best?.params ?? trainer.snapshot(),
      bestValAccuracy: best?.acc,
      epochsRun: Math.min(epoch, o.epochs),
      history,
      samplesPerSec: seen / (trainMs / 1000),
      trainMs,
    };
  } finally {
    await trainer.release();
  }
}

/**
 * The loss weights of one row of a batch of n, as emitDistillLoss takes them: with a teacher, a labeled row mixes
 * KD (α) and cross-entropy (1−α) and an unlabeled row learns from the teacher alone; without one, cross-entropy only.
 */
export function rowLossWeights(labeled: boolean, alpha: number, distill: boolean, n: number): { ce: number; kd: number } {
  if (!distill) return { ce: 1 / n, kd: 0 };
  return { ce: labeled ? (1 - alpha) / n : 0, kd: (labeled ? alpha : 1) / n };
}

function fillBatch(b: Batch, d: TrainSet, idx: Int32Array, F: number, K: number, alpha: number, distill: boolean): void {
  const n = idx.length;
  b.target.fill(0);
  for (let r = 0; r < n; r++) {
    const i = idx[r]!;
    b.x.set(d.x.subarray(i * F, (i + 1) * F), r * F);
    const labeled = !d.labeled || d.labeled[i] === 1;
    if (labeled) b.target[r * K + d.y[i]!] = 1;
    const w = rowLossWeights(labeled, alpha, distill, n);
    b.ceWeight[r] = w.ce;
    if (distill) {
      b.teacher!.set(d.teacher!.subarray(i * K, (i + 1) * K), r * K);
      b.kdWeight![r] = w.kd;
    }
  }
}

function sliceBatch(b: Batch, n: number, F: number, K: number): Batch {
  return {
    n,
    x: b.x.subarray(0, n * F),
    target: b.target.subarray(0, n * K),
    ceWeight: b.ceWeight.subarray(0, n),
    teacher: b.teacher?.subarray(0, n * K),
    kdWeight: b.kdWeight?.subarray(0, n),
  };
}
