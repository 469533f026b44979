import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { featurize, sparseBatch, type FeaturizerSpec } from '@edgefleet/contracts';
import { GraphBuilder, quantizeInt8 } from '@edgefleet/onnx';
import { Prng } from '@edgefleet/toolkit';
import { toEmbeddingBag } from './embedding-bag';

const spec: FeaturizerSpec = { id: 'hashed-ngrams', version: 2, charMin: 1, charMax: 3, wordMin: 1, wordMax: 1, seed: 0, buckets: 512, maxChars: 100, layout: 'sparse' };
const texts = ['Alle Menschen sind frei', 'Tous les êtres humains naissent libres', 'x', 'Всі люди народжуються вільними'];

/** A dense student as the trainer exports it: Gemm(x, W, b) → Relu → Gemm, random weights. */
function denseStudent(): Uint8Array {
  const rng = new Prng(3);
  const r = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.5);
  const g = new GraphBuilder();
  g.input('x', 'float32', ['batch', spec.buckets]);
  const h = g.op('Relu', [g.op('Gemm', ['x', g.initializer('w0', r(spec.buckets * 8), [spec.buckets, 8]), g.initializer('b0', r(8), [8])])]);
  const y = g.op('Gemm', [h, g.initializer('w1', r(8 * 5), [8, 5]), g.initializer('b1', r(5), [5])]);
  g.output(y, 'float32', ['batch', 5], 'logits');
  return g.toModel();
}

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model);
  try { return (await s.run(feeds))[s.outputNames[0]!]!.data as Float32Array; } finally { await s.release(); }
}

test('the embedding-bag form of a student computes what the dense form computes, in float and in int8', async () => {
  const dense = denseStudent();
  const x = new Float32Array(texts.length * spec.buckets);
  texts.forEach((t, i) => featurize(spec, t, x.subarray(i * spec.buckets, (i + 1) * spec.buckets)));
  const b = sparseBatch(spec, texts); // rows padded with weight 0 to the widest
  const sparseFeeds = { indices: new ort.Tensor('int32', b.indices, [texts.length, b.width]), weights: new ort.Tensor('float32', b.weights, [texts.length, b.width]) };
  for (const [what, model, tol] of [['float', dense, 1e-5], ['int8', quantizeInt8(dense), 0.05]] as const) {
    const want = await run(model, { x: new ort.Tensor('float32', x, [texts.length, spec.buckets]) });
    const bag = toEmbeddingBag(model);
    const got = await run(bag, sparseFeeds);
    assert.equal(got.length, want.length);
    // int8: the dense model also quantizes its activations to uint8, the bag sums exact floats; the two agree
    // to quantization noise, and the bag matches the dequantized weights exactly (float case: same math).
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `${what} logit ${i}: ${v} vs ${want[i]}`));
    const one = sparseBatch(spec, [texts[1]!]);
    const single = await run(bag, { indices: new ort.Tensor('int32', one.indices, [1, one.width]), weights: new ort.Tensor('float32', one.weights, [1, one.width]) });
    single.forEach((v, i) => assert.ok(Math.abs(v - got[5 + i]!) < 1e-5, `${what}: padding changes nothing (batch of 1 vs padded row)`));
  }
  assert.throws(() => toEmbeddingBag(toEmbeddingBag(dense)), /exactly one input/);
});
