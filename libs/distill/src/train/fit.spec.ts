import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Network } from '../model/network';
import { cnn, mlp } from '../model/spec';
import { exportInferenceModel } from '../graph/graphs';
import { Prng } from '@edgefleet/toolkit';
import { accuracyOf, fit, FitOptions, TrainSet } from './fit';
import { Trainer } from './trainer';

/** Gaussian blobs: class c raises features ≡ c (mod K). Learnable, not trivially separable. */
function blobs(n: number, seed: number, F = 16, K = 4): TrainSet {
  const rng = new Prng(seed);
  const x = new Float32Array(n * F);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(K);
    y[i] = c;
    for (let f = 0; f < F; f++) x[i * F + f] = rng.normal() + (f % K === c ? 1 : 0);
  }
  return { x, y, n, sampleShape: [F], numClasses: K };
}

const options = (o: Partial<FitOptions> = {}): FitOptions => ({
  epochs: 4, batchSize: 32, lr: 5e-3, warmupEpochs: 0.5, optimizer: { name: 'adamw', weightDecay: 0.01 },
  alpha: 0.5, temperature: 2, seed: 7, threads: 1, patience: 0, ...o,
});

for (const optimizer of [{ name: 'adamw' as const, weightDecay: 0.01 }, { name: 'sgd' as const, momentum: 0.9 }]) {
  test(`${optimizer.name}: training lowers the loss and beats chance`, async () => {
    const train = blobs(1200, 1);
    const test_ = blobs(400, 2);
    const net = new Network(mlp([16, 24, 4], { dropout: 0.1 }), [16]);
    const r = await fit(net, train, test_, options({ optimizer, lr: optimizer.name === 'sgd' ? 0.05 : 5e-3 }));
    assert.ok(r.history[r.history.length - 1]!.loss < 0.7 * r.history[0]!.loss, `loss ${r.history.map((h) => h.loss.toFixed(3))}`);
    assert.ok(r.bestValAccuracy! > 0.6, `accuracy ${r.bestValAccuracy} vs chance 0.25`);
  });
}

test('distillation from teacher logits alone (no labels) learns the teacher', async () => {
  const train = blobs(1200, 3);
  const test_ = blobs(400, 4);
  // A perfect "teacher": logits favour the true class.
  const teacher = new Float32Array(train.n * 4);
  for (let i = 0; i < train.n; i++) teacher[i * 4 + train.y[i]!] = 4;
  const net = new Network(mlp([16, 24, 4]), [16]);
  const r = await fit(net, { ...train, teacher, labeled: new Uint8Array(train.n) }, test_, options());
  assert.ok(r.bestValAccuracy! > 0.6, `accuracy ${r.bestValAccuracy}`);
});

test('a small CNN trains end to end (conv, pool, flatten, dense)', async () => {
  const rng = new Prng(5);
  const n = 300;
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  // Class 0: bright left half, class 1: bright right half.
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = 0.3 * rng.next() + ((p % 8 < 4) === (y[i] === 0) ? 0.6 : 0);
  }
  const data: TrainSet = { x, y, n, sampleShape: [64], numClasses: 2 };
  const net = new Network(cnn({ channels: [4], dense: 8, numClasses: 2, inputShape: [1, 8, 8] }), [64]);
  const r = await fit(net, data, data, options({ epochs: 3 }));
  assert.ok(r.bestValAccuracy! > 0.9, `accuracy ${r.bestValAccuracy}`);
});

test('same seed with 1 thread gives bit-identical weights; another seed does not', async () => {
  const train = blobs(500, 6);
  const run = async (seed: number) => {
    const net = new Network(mlp([16, 12, 4], { dropout: 0.2 }), [16]);
    return (await fit(net, train, undefined, options({ epochs: 2, seed }))).params;
  };
  const [a, b, c] = [await run(11), await run(11), await run(12)];
  for (const [k, v] of a) assert.deepEqual(v, b.get(k), `${k} differs between identical runs`);
  assert.notDeepEqual(a.get('dense0.weight'), c.get('dense0.weight'));
});

test('the exported student computes the same logits as the trained weights', async () => {
  const train = blobs(300, 8);
  const net = new Network(mlp([16, 12, 4], { dropout: 0.2 }), [16]);
  const r = await fit(net, train, undefined, options({ epochs: 1 }));
  const bytes = exportInferenceModel(net, r.params);
  const session = await ort.InferenceSession.create(bytes);
  assert.deepEqual(session.inputNames, ['input']);
  assert.deepEqual(session.outputNames, ['logits']);
  const probe = train.x.subarray(0, 10 * 16);
  const exported = (await session.run({ input: new ort.Tensor('float32', probe, [10, 16]) }))['logits']!.data as Float32Array;
  await session.release();
  const trainer = await Trainer.create(net, { optimizer: { name: 'sgd' }, distill: false, temperature: 1, seed: 1, threads: 1 }, r.params);
  const live = await trainer.predict(probe, 10);
  const acc = await accuracyOf(trainer, train);
  await trainer.release();
  assert.ok(acc > 0.25);
  for (let i = 0; i < live.length; i++) assert.ok(Math.abs(live[i]! - exported[i]!) < 1e-5, `logit ${i}: ${live[i]} vs ${exported[i]}`);
});
