import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '@edgefleet/onnx';
import { Layer, size } from './layer';
import { Dense } from './dense';
import { ReLU, Dropout } from './activation';
import { Reshape } from './shape';
import { Conv2d, MaxPool2d } from './conv';
import { Prng } from '@edgefleet/toolkit';
import { directionalCheck, dot, randn, runOnce, session } from '../testing/grad-check';

const B = 3;

/** Builds y = layer(x) and its backward for dy = r; checks dx and every parameter gradient. */
async function checkLayer(layer: Layer, x: Float32Array, seed: number, eps = 1e-2): Promise<void> {
  const rng = new Prng(seed);
  const g = new GraphBuilder('check');
  g.input('x', 'float32', [B, ...layer.inShape]);
  for (const p of layer.params) g.input(p.name, 'float32', p.shape);
  const dy = g.input('dy', 'float32', [B, ...layer.outShape]);
  const { y, tape } = layer.forward({ g, param: (n) => n, training: true, seed: 1 }, 'x');
  const grads = new Map<string, string>();
  const dx = tape.backward(g, dy, grads, true)!;
  g.output(y, 'float32', [B, ...layer.outShape], 'y');
  g.output(dx, 'float32', [B, ...layer.inShape], 'dx');
  for (const p of layer.params) g.output(grads.get(p.name)!, 'float32', p.shape, `grad.${p.name}`);
  const s = await session(g);
  const r = randn(rng, B * size(layer.outShape));
  const inputs: Record<string, Float32Array> = { x };
  for (const p of layer.params) inputs[p.name] = randn(rng, size(p.shape), 0.5);
  const dims: Record<string, number[]> = { x: [B, ...layer.inShape], dy: [B, ...layer.outShape] };
  for (const p of layer.params) dims[p.name] = p.shape;
  const feed = (ins: Record<string, Float32Array>) =>
    Object.fromEntries(Object.entries({ ...ins, dy: r }).map(([k, v]) => [k, { data: v, dims: dims[k]! }]));
  const out = await runOnce(s, feed(inputs));
  const analytic: Record<string, Float32Array> = { x: out['dx']! };
  for (const p of layer.params) analytic[p.name] = out[`grad.${p.name}`]!;
  const f = async (ins: Record<string, Float32Array>) => dot((await runOnce(s, feed(ins)))['y']!, r);
  const { worst, report } = await directionalCheck(f, inputs, analytic, { eps, probes: 3, seed: seed + 1 });
  await s.release();
  assert.ok(worst < 2e-3, `${layer.kind} gradient mismatch (worst rel ${worst}):\n${report.join('\n')}`);
}

/** Values kept away from 0 so a small probe never crosses ReLU's kink. */
const awayFromZero = (rng: Prng, n: number) => Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1) * (0.2 + rng.next()));

test('dense gradients match finite differences', async () => {
  await checkLayer(new Dense([5], 4, 'd'), randn(new Prng(1), B * 5), 10);
});

test('relu gradient matches finite differences', async () => {
  await checkLayer(new ReLU([7]), awayFromZero(new Prng(2), B * 7), 20, 1e-3);
});

test('conv2d gradients (input, weights, bias) match finite differences', async () => {
  await checkLayer(new Conv2d([2, 5, 5], 3, 3, 'c'), randn(new Prng(3), B * 2 * 25), 30);
});

test('maxpool2d gradient matches finite differences', async () => {
  // A permutation of well-separated values: no ties, so the arg-max cannot flip under the probe.
  const rng = new Prng(4);
  const n = B * 2 * 4 * 4;
  const x = Float32Array.from(rng.permutation(n), (v) => v * 0.1);
  await checkLayer(new MaxPool2d([2, 4, 4], 2), x, 40, 1e-2);
});

test('reshape gradient is the inverse reshape', async () => {
  await checkLayer(new Reshape([2, 3, 2], [12]), randn(new Prng(5), B * 12), 50);
});

test('dropout scales kept units by 1/(1-p) and routes the gradient through the same mask', async () => {
  const layer = new Dropout([200], 0.25, 0);
  const g = new GraphBuilder('drop');
  g.input('x', 'float32', [1, 200]);
  const dy = g.input('dy', 'float32', [1, 200]);
  const { y, tape } = layer.forward({ g, param: (n) => n, training: true, seed: 1 }, 'x');
  g.output(y, 'float32', [1, 200], 'y');
  g.output(tape.backward(g, dy, new Map(), true)!, 'float32', [1, 200], 'dx');
  const s = await session(g);
  const ones = new Float32Array(200).fill(1);
  const out = await runOnce(s, { x: { data: ones, dims: [1, 200] }, dy: { data: ones, dims: [1, 200] } });
  await s.release();
  const kept = out['y']!.filter((v) => v !== 0).length;
  assert.ok(kept > 120 && kept < 180, `kept ${kept} of 200 at p=0.25`);
  for (let i = 0; i < 200; i++) {
    assert.ok(Math.abs(out['y']![i]! - (out['y']![i] === 0 ? 0 : 1 / 0.75)) < 1e-6);
    assert.equal(out['dx']![i], out['y']![i], 'dx must use the forward mask and scale');
  }
});
