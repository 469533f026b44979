import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '@edgefleet/onnx';
import { emitUpdate, OptimizerConfig, scalarInputs, stateSlots } from './optimizer';
import { ParamSpec } from '../layers/layer';
import { runOnce, session } from '../testing/grad-check';

const p: ParamSpec = { name: 'w', shape: [3], init: 'he', fanIn: 3, decay: true };

async function step(o: OptimizerConfig, scalars: Record<string, number>, w: number[], grad: number[], state: Record<string, number[]>) {
  const g = new GraphBuilder('opt');
  for (const s of scalarInputs(o)) g.input(s, 'float32', []);
  g.input('w', 'float32', [3]);
  g.input('grad', 'float32', [3]);
  for (const s of stateSlots(o)) g.input(`s.${s}`, 'float32', [3]);
  const out = emitUpdate(g, o, p, { param: 'w', grad: 'grad', state: Object.fromEntries(stateSlots(o).map((s) => [s, `s.${s}`])) });
  g.output(out.param, 'float32', [3], 'w_next');
  for (const s of stateSlots(o)) g.output(out.state[s]!, 'float32', [3], `next.${s}`);
  const sess = await session(g);
  const f = (v: number[], dims: number[] = [3]) => ({ data: Float32Array.from(v), dims });
  const r = await runOnce(sess, {
    ...Object.fromEntries(Object.entries(scalars).map(([k, v]) => [k, f([v], [])])),
    w: f(w), grad: f(grad), ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`s.${k}`, f(v)])),
  });
  await sess.release();
  return r;
}

const close = (a: Float32Array, b: number[], what: string) =>
  b.forEach((v, i) => assert.ok(Math.abs(a[i]! - v) < 1e-6 * Math.max(1, Math.abs(v)), `${what}[${i}]: ${a[i]} vs ${v}`));

test('SGD with momentum and L2 matches the reference update', async () => {
  const w = [1, -2, 0.5], g = [0.1, 0.2, -0.3], v = [0.01, 0, -0.02];
  const r = await step({ name: 'sgd', momentum: 0.9, weightDecay: 0.1 }, { lr: 0.5 }, w, g, { v });
  const vel = w.map((wi, i) => 0.9 * v[i]! + g[i]! + 0.1 * wi);
  close(r['next.v']!, vel, 'v');
  close(r['w_next']!, w.map((wi, i) => wi - 0.5 * vel[i]!), 'w');
});

test('AdamW matches the reference update (bias correction, decoupled decay)', async () => {
  const w = [1, -2, 0.5], g = [0.1, 0.2, -0.3], m = [0.01, 0, -0.02], v = [1e-4, 2e-4, 0];
  const t = 3, lr = 0.01, wd = 0.05;
  const bc1 = 1 / (1 - 0.9 ** t), bc2 = 1 / (1 - 0.999 ** t);
  const r = await step({ name: 'adamw', weightDecay: wd }, { lr, lr_bc1: lr * bc1, sqrt_bc2: Math.sqrt(bc2) }, w, g, { m, v });
  const m2 = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]!);
  const v2 = v.map((vi, i) => 0.999 * vi + 0.001 * g[i]! ** 2);
  close(r['next.m']!, m2, 'm');
  close(r['next.v']!, v2, 'v');
  close(r['w_next']!, w.map((wi, i) => wi - lr * ((bc1 * m2[i]!) / (Math.sqrt(bc2 * v2[i]!) + 1e-8) + wd * wi)), 'w');
});
