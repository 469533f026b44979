import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { decodeAnyEvalSet, decodeEvalSet, encodeEvalSet, encodeTextEvalSet, featurize, type FeaturizerSpec } from '@edgefleet/contracts';
import { ModelLoadError } from '../lib/errors';
import { counterModel, identityClassifier, identityModel, linearModel, mixedInputsModel, notAModel, sparseLinearModel } from '../testing/tiny-models';
import { BenchmarkError } from '../lib/errors';
import { StatefulRunner, runBenchmark } from './benchmark';
import { runtimeBaselineMb } from './memory';
import { allPassed, evaluateGates } from './gates';
import { concreteShape, synthesizeFeeds } from './input-synthesis';
import { percentile, summarize } from './stats';
import { fromFloat16Bits, toFloat16Bits } from './float16';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function file(bytes: Buffer): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'bench-'));
  dirs.push(d);
  await writeFile(join(d, 'm.onnx'), bytes);
  return join(d, 'm.onnx');
}
const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
const budget = { warmupRuns: 2, minRuns: 20, minTimeMs: 5, maxRuns: 1000, maxTimeMs: 300, evalBatch: 8 };

describe('stats', () => {
  it('interpolates percentiles like numpy', () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(s, 50), 5.5);
    assert.ok(Math.abs(percentile(s, 95) - 9.55) < 1e-9);
    assert.equal(percentile(s, 0), 1);
    assert.equal(percentile(s, 100), 10);
    assert.throws(() => percentile([], 50), RangeError);
  });
  it('stretches every statistic by the slowdown', () => {
    const s = summarize([3, 1, 2], 2);
    assert.deepEqual(s, { p50Ms: 4, p95Ms: 5.8, p99Ms: 5.96, meanMs: 4, minMs: 2, maxMs: 6 });
  });
});

describe('gates', () => {
  it('passes only measured values within limits, and fails unmeasurable ones', () => {
    const r = evaluateGates({ maxLatencyP95Ms: 10, minAccuracy: 0.9, maxMemoryMb: 100 }, { p95Ms: 9, accuracy: 0.95, modelMemoryMb: 101 });
    assert.deepEqual(r.map((g) => [g.gate, g.passed]), [['maxLatencyP95Ms', true], ['minAccuracy', true], ['maxMemoryMb', false]]);
    assert.equal(allPassed(r), false);
    const noEval = evaluateGates({ minAccuracy: 0.5 }, { p95Ms: 1 });
    assert.equal(noEval[0]!.passed, false);
    assert.equal(noEval[0]!.measured, undefined);
    assert.deepEqual(evaluateGates({}, { p95Ms: 1 }), []);
    assert.equal(allPassed([]), true);
  });
});

describe('input synthesis', () => {
  // onnxruntime-node 1.30 on a Node.js that has Float16Array (24+) wraps float16 tensors in it and its native
  // binding then reads 0 bytes ("not enough space: expected 6, got 0"): float16 INPUTS cannot be fed there at all.
  // Our own fp16 variants keep float32 inputs (libs/onnx convertToFp16), so only foreign fp16-input models are
  // affected; the agent reports them failed with that reason.
  const float16Inputs = typeof (globalThis as { Float16Array?: unknown }).Float16Array === 'undefined';

  it('feeds every dtype with fixed and symbolic dims (real onnxruntime sessions)', async (t) => {
    if (!float16Inputs) t.diagnostic('float16 inputs skipped: onnxruntime-node cannot take them on this Node.js (Float16Array)');
    for (const dtype of ['float32', ...(float16Inputs ? ['float16'] : []), 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string']) {
      const s = await ort.InferenceSession.create(identityModel(dtype, ['batch', 3, 'seq']));
      const { feeds } = synthesizeFeeds(s);
      assert.equal(feeds.in!.type, dtype);
      assert.deepEqual(feeds.in!.dims, [1, 3, 1]);
      const out = await s.run(feeds);
      assert.deepEqual(out.out!.dims, [1, 3, 1], dtype);
      await s.release();
    }
  });
  it('feeds models with several inputs of different dtypes (int64 ids stay valid indices)', async () => {
    const s = await ort.InferenceSession.create(mixedInputsModel());
    const out = await s.run(synthesizeFeeds(s).feeds);
    assert.deepEqual(out.y!.dims, [1, 3]);
    await s.release();
  });
  it('builds what the input spec says, and feeds state outputs back into state inputs run after run', async () => {
    const s = await ort.InferenceSession.create(counterModel());
    const { feeds, state } = synthesizeFeeds(s, undefined, { inputs: { x: { shape: [4, 2], fill: 'zeros' }, count: { value: 5, stateFrom: 'countN' } } });
    assert.deepEqual(feeds.x!.dims, [4, 2]);
    assert.deepEqual([...(feeds.x!.data as Float32Array)], new Array(8).fill(0));
    assert.deepEqual(state, [{ input: 'count', output: 'countN' }]);
    const runner = new StatefulRunner(s, state);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) seen.push((await runner.run(feeds)).seen!.data[0] as number);
    assert.deepEqual(seen, [5, 6, 7], 'the first run takes the spec\'s value, later ones the previous countN');
    assert.throws(() => synthesizeFeeds(s, undefined, { inputs: { y: { fill: 'zeros' } } }), (e: unknown) => e instanceof BenchmarkError && /names input "y"/.test(e.message));
    assert.throws(() => synthesizeFeeds(s, undefined, { inputs: { count: { stateFrom: 'nope' } } }), /output "nope"/);
    await s.release();
  });
  it('gives integer scalars their value or a value in their range', async () => {
    const s = await ort.InferenceSession.create(identityModel('int64', []));
    assert.equal(synthesizeFeeds(s, undefined, { inputs: { in: { value: 16000 } } }).feeds.in!.data[0], 16000n);
    assert.equal(synthesizeFeeds(s, undefined, { inputs: { in: { range: [8000, 8001] } } }).feeds.in!.data[0], 8000n);
    await s.release();
  });
  it('measures the runtime baseline with the inlined probe model (it still loads and runs)', async () => {
    assert.ok((await runtimeBaselineMb(1)) > 0);
  });
  it('maps symbolic, -1 and 0 dims to 1', () => {
    assert.deepEqual(concreteShape(['N', -1, 0, 7]), [1, 1, 1, 7]);
  });
  it('encodes float16 exactly for representable values', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 2 ** -14]) assert.equal(fromFloat16Bits(toFloat16Bits(v)), v);
    assert.equal(toFloat16Bits(1e6), 0x7c00);
  });
});

describe('runBenchmark', () => {
  const evalSet = (classes: number, n: number, shift = 0) => {
    const x = new Float32Array(n * classes);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = (i + shift) % classes;
      x[i * classes + (i % classes)] = 1;
    }
    return decodeEvalSet(encodeEvalSet({ inputName: '', sampleShape: [classes], numClasses: classes, x, y, n }));
  };

  it('measures latency, throughput, memory and accuracy on the eval set (batched, remainder included)', async () => {
    const r = await runBenchmark({ modelPath: await file(identityClassifier(5)), evalSet: evalSet(5, 21), budget, threads: 1, slowdown: 1 });
    assert.equal(r.accuracy, 1);
    assert.equal(r.evalSamples, 21);
    assert.equal(r.inputSource, 'eval-set');
    assert.ok(r.runs >= 20);
    assert.ok(r.throughputPerSec > 0 && r.peakRssMb >= 0);
    const wrong = await runBenchmark({ modelPath: await file(identityClassifier(5)), evalSet: evalSet(5, 20, 1), budget, threads: 1, slowdown: 1 });
    assert.equal(wrong.accuracy, 0);
  });

  it('scores a sparse-layout text model (indices + weights) exactly as its dense twin, from the same text eval set', async () => {
    const spec: FeaturizerSpec = { id: 'hashed-ngrams', version: 2, charMin: 1, charMax: 3, wordMin: 1, wordMax: 1, seed: 0, buckets: 256, maxChars: 200, layout: 'sparse' };
    const texts = ['the cat sat', 'der Hund bellt', 'le chat dort', 'x', 'il cane abbaia forte', 'el perro ladra', 'a much longer sentence with many words in it', 'ok'];
    let s = 5;
    const w = Float32Array.from({ length: spec.buckets * 3 }, () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) - 0.5);
    // Labels: the dense arithmetic's argmax for half the texts, another class for the rest → accuracy 0.5 exactly.
    const top = texts.map((t) => {
      const x = featurize(spec, t);
      const z = [0, 1, 2].map((k) => x.reduce((a, v, i) => a + v * w[i * 3 + k]!, 0));
      return z.indexOf(Math.max(...z));
    });
    const bytes = encodeTextEvalSet({ inputName: '', labels: ['a', 'b', 'c'], samples: texts.map((text, i) => ({ text, label: i % 2 ? (top[i]! + 1) % 3 : top[i]! })) });
    const sparse = await runBenchmark({ modelPath: await file(sparseLinearModel(spec.buckets, 3, w)), evalSet: decodeAnyEvalSet(bytes, spec), budget, threads: 1, slowdown: 1 });
    assert.equal(sparse.accuracy, 0.5);
    assert.equal(sparse.evalSamples, texts.length);
    const dense = await runBenchmark({ modelPath: await file(linearModel({ inputs: spec.buckets, outputs: 3, weights: w })), evalSet: decodeAnyEvalSet(bytes, { ...spec, layout: 'dense' }), budget, threads: 1, slowdown: 1 });
    assert.equal(dense.accuracy, 0.5);
    // A sparse eval set for a dense model (or the reverse) is refused with the reason.
    await assert.rejects(runBenchmark({ modelPath: await file(linearModel({ inputs: spec.buckets, outputs: 3, weights: w })), evalSet: decodeAnyEvalSet(bytes, spec), budget, threads: 1, slowdown: 1 }), /sparse layout feeds inputs indices and weights/);
  });

  it('handles a fixed batch dim of 1 and synthesizes inputs without an eval set', async () => {
    const fixed = await runBenchmark({ modelPath: await file(identityClassifier(4, 1)), evalSet: evalSet(4, 6), budget, threads: 1, slowdown: 1 });
    assert.equal(fixed.accuracy, 1);
    const synthetic = await runBenchmark({ modelPath: await file(identityClassifier(4)), budget, threads: 1, slowdown: 1 });
    assert.equal(synthetic.inputSource, 'synthetic');
    assert.equal(synthetic.accuracy, undefined);
  });

  it('names the task metric: top-1 for multi-class, per-label accuracy at the threshold for multi-label', async () => {
    const multi = await runBenchmark({ modelPath: await file(identityClassifier(5)), evalSet: evalSet(5, 10), budget, threads: 1, slowdown: 1 });
    assert.deepEqual(multi.metric, { task: 'multiclass', name: 'top1-accuracy', value: 1 });
    // Identity "probabilities" of 4 samples × 3 labels; one decision of the 12 disagrees with its target.
    const x = Float32Array.from([0.9, 0.1, 0.7, 0.2, 0.8, 0.6, 0.4, 0.4, 0.1, 0.95, 0.05, 0.55]);
    const targets = Float32Array.from([1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0]);
    const set = decodeEvalSet(encodeEvalSet({ inputName: '', sampleShape: [3], numClasses: 3, n: 4, x, y: new Int32Array(4), task: 'multilabel', threshold: 0.5, targets }));
    const r = await runBenchmark({ modelPath: await file(identityClassifier(3)), evalSet: set, budget, threads: 1, slowdown: 1 });
    assert.deepEqual(r.metric, { task: 'multilabel', name: 'hamming-accuracy', value: round6(11 / 12), threshold: 0.5 });
    assert.equal(r.accuracy, round6(11 / 12));
  });

  it('scores a recurrent model frame by frame: the state is carried from eval sample to eval sample', async () => {
    // The counter outputs its state, which starts at 5 and grows by one per run: targets 5, 6, 7, 8 are met exactly
    // only when the samples run one at a time, in order, each with the previous run's state.
    const set = decodeEvalSet(encodeEvalSet({ inputName: 'x', sampleShape: [2], numClasses: 1, n: 4, x: new Float32Array(8), y: new Int32Array(4), task: 'regression', targets: Float32Array.from([5, 6, 7, 8]) }));
    const inputSpec = { inputs: { x: { shape: [1, 2] }, count: { value: 5, stateFrom: 'countN' } } };
    const r = await runBenchmark({ modelPath: await file(counterModel()), evalSet: set, inputSpec, budget, threads: 1, slowdown: 1 });
    assert.deepEqual(r.metric, { task: 'regression', name: 'mae', value: 0, rmse: 0 });
  });

  it('stretches latencies by the slowdown factor', async () => {
    const r = await runBenchmark({ modelPath: await file(identityClassifier(4)), budget: { ...budget, minRuns: 50 }, threads: 1, slowdown: 1000 });
    assert.ok(r.latency.minMs >= 1, `min ${r.latency.minMs} ms must be ≥ 1000 × a microsecond`);
  });

  it('reports load failures and eval sets that do not fit as ModelLoadError', async () => {
    await assert.rejects(runBenchmark({ modelPath: await file(notAModel()), budget, threads: 1, slowdown: 1 }), ModelLoadError);
    await assert.rejects(runBenchmark({ modelPath: await file(identityClassifier(4)), evalSet: evalSet(5, 5), budget, threads: 1, slowdown: 1 }), ModelLoadError);
  });
});
