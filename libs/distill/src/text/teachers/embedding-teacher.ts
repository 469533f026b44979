import { exportInferenceModel } from '../../graph/graphs';
import { mlp } from '../../model/spec';
import { Network } from '../../model/network';
import { fit } from '../../train/fit';
import { prepareSplit } from '../../pipeline/split';
import { OnnxClassifier } from '../../pipeline/run-model';
import { DistillConfigError } from '../../errors';
import type { TextSplit } from '../text-dataset';
import type { Embedder } from './embedders';
import { cacheKey, cachedRows } from './teacher-cache';
import type { TeacherOutput, TeacherRunOptions, TextTeacher } from './teacher';

const PREPROCESSING = 'raw-text';

/** Softmax over each row of n × K logits, in place. */
export function softmaxRows(x: Float32Array, K: number): Float32Array {
  for (let r = 0; r < x.length / K; r++) {
    const row = x.subarray(r * K, (r + 1) * K);
    const max = Math.max(...row);
    let sum = 0;
    for (let k = 0; k < K; k++) { row[k] = Math.exp(row[k]! - max); sum += row[k]!; }
    for (let k = 0; k < K; k++) row[k]! /= sum;
  }
  return x;
}

/**
 * A sentence encoder (local or remote) plus a classification head fitted here on the labelled training rows:
 * multinomial logistic regression on the embeddings, trained by this engine with early stopping on a labelled
 * validation split. Embeddings are cached; the head takes seconds, so it is refitted each run.
 */
export class EmbeddingTeacher implements TextTeacher {
  constructor(readonly name: string, private readonly embedder: () => Promise<Embedder>) {}

  async label(data: TextSplit, o: TeacherRunOptions): Promise<TeacherOutput> {
    const labeled = data.train.y.reduce((n, y) => n + (y >= 0 ? 1 : 0), 0);
    if (labeled < 2 * data.labels.length) throw new DistillConfigError(`teacher ${this.name} fits a head on labelled rows: ${labeled} labelled training rows for ${data.labels.length} classes is too few`);
    const e = await this.embedder();
    const run = (texts: string[], what: string) =>
      cachedRows(o.cacheDir, cacheKey(e.id, PREPROCESSING, texts), texts, e.dim, (b) => e.embed(b), (p) => o.onProgress?.(what, p));
    const train = await run(data.train.texts, `teacher ${this.name} embeddings (train)`);
    const test = await run(data.test.texts, `teacher ${this.name} embeddings (test)`);
    const K = data.labels.length;
    const headStarted = Date.now();
    // Only labelled rows train the head.
    const rows = Int32Array.from(data.train.y.keys()).filter((i) => data.train.y[i]! >= 0);
    const x = new Float32Array(rows.length * e.dim);
    rows.forEach((r, i) => x.set(train.values.subarray(r * e.dim, (r + 1) * e.dim), i * e.dim));
    const headData = { x, y: Int32Array.from(rows, (r) => data.train.y[r]!), n: rows.length, sampleShape: [e.dim], numClasses: K };
    const seed = o.seed ?? 1;
    const split = prepareSplit(headData, 1, 0.1, seed);
    const net = new Network(mlp([e.dim, K], { name: 'head' }), [e.dim]);
    const r = await fit(net, split.train, split.validation, {
      epochs: 60, batchSize: 64, lr: 1e-2, warmupEpochs: 1, optimizer: { name: 'adamw', weightDecay: 1e-4 }, alpha: 0, temperature: 1,
      seed, threads: o.threads ?? 2, patience: 10, signal: o.signal,
    });
    const head = await OnnxClassifier.open(exportInferenceModel(net, r.params), [e.dim], K, o.threads ?? 2, 'teacher head');
    try {
      const probs = async (v: Float32Array, n: number) => softmaxRows(await head.logits(v, n), K);
      const out = { train: await probs(train.values, data.train.texts.length), test: await probs(test.values, data.test.texts.length) };
      const computed = [train, test].filter((c) => !c.hit);
      const textsLabelled = (train.hit ? 0 : data.train.texts.length) + (test.hit ? 0 : data.test.texts.length);
      const labelSeconds = computed.reduce((a, c) => a + c.computeMs, 0) / 1000;
      return {
        classes: data.labels, ...out, name: e.name, params: e.params !== undefined ? e.params + net.paramCount : undefined, bytes: e.bytes,
        cost: { labelSeconds, textsLabelled, textsPerSec: textsLabelled ? textsLabelled / Math.max(labelSeconds, 1e-6) : undefined, cacheHit: computed.length === 0, headSeconds: (Date.now() - headStarted) / 1000 },
      };
    } finally {
      await head.release();
    }
  }
}
