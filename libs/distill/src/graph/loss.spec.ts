import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '@edgefleet/onnx';
import { emitDistillLoss } from './loss';
import { Prng } from '@edgefleet/toolkit';
import { directionalCheck, randn, runOnce, session } from '../testing/grad-check';

const B = 4;
const K = 5;

async function lossGraph(distill: boolean, T: number) {
  const g = new GraphBuilder('loss');
  const logits = g.input('logits', 'float32', [B, K]);
  const target = g.input('target', 'float32', [B, K]);
  const ceWeight = g.input('ce_weight', 'float32', [B, 1]);
  const teacher = distill ? g.input('teacher', 'float32', [B, K]) : undefined;
  const kdWeight = distill ? g.input('kd_weight', 'float32', [B, 1]) : undefined;
  const { loss, dlogits } = emitDistillLoss(g, { logits, target, ceWeight, teacher, kdWeight, temperature: T });
  g.output(loss, 'float32', [], 'loss');
  g.output(dlogits, 'float32', [B, K], 'dlogits');
  return session(g);
}

function inputs(seed: number) {
  const rng = new Prng(seed);
  const target = new Float32Array(B * K);
  for (let i = 0; i < B - 1; i++) target[i * K + rng.int(K)] = 1; // last row unlabeled
  return {
    logits: randn(rng, B * K, 2),
    teacher: randn(rng, B * K, 3),
    target,
    ce_weight: Float32Array.of(0.1, 0.1, 0.1, 0),
    kd_weight: Float32Array.of(0.15, 0.15, 0.15, 0.25),
  };
}

const dims: Record<string, number[]> = { logits: [B, K], teacher: [B, K], target: [B, K], ce_weight: [B, 1], kd_weight: [B, 1] };
const feed = (ins: Record<string, Float32Array>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, { data: ins[k]!, dims: dims[k]! }]));

for (const T of [1, 4]) {
  test(`KD + CE loss gradient matches finite differences (T=${T})`, async () => {
    const s = await lossGraph(true, T);
    const ins = inputs(T);
    const keys = Object.keys(dims);
    const out = await runOnce(s, feed(ins, keys));
    const f = async (i: Record<string, Float32Array>) => (await runOnce(s, feed(i, keys)))['loss']![0]!;
    const { worst, report } = await directionalCheck(f, ins, { logits: out['dlogits']! }, { eps: 1e-2, probes: 4, seed: 7 });
    await s.release();
    assert.ok(worst < 2e-3, report.join('\n'));
  });
}

test('KD loss value equals T²·KL + CE computed directly', async () => {
  const T = 3;
  const s = await lossGraph(true, T);
  const ins = inputs(11);
  const out = await runOnce(s, feed(ins, Object.keys(dims)));
  await s.release();
  const logSoftmax = (v: number[]) => { const m = Math.max(...v); const z = Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0)) + m; return v.map((x) => x - z); };
  let expected = 0;
  for (let i = 0; i < B; i++) {
    const s_ = Array.from(ins.logits.subarray(i * K, (i + 1) * K));
    const t_ = Array.from(ins.teacher.subarray(i * K, (i + 1) * K));
    const lq = logSoftmax(s_.map((v) => v / T));
    const lp = logSoftmax(t_.map((v) => v / T));
    const kl = lp.reduce((a, l, k) => a + Math.exp(l) * (l - lq[k]!), 0);
    const ls = logSoftmax(s_);
    const ce = -ls.reduce((a, l, k) => a + l * ins.target[i * K + k]!, 0);
    expected += ins.kd_weight[i]! * T * T * kl + ins.ce_weight[i]! * ce;
  }
  assert.ok(Math.abs(out['loss']![0]! - expected) < 1e-4 * Math.max(1, expected), `${out['loss']![0]} vs ${expected}`);
});

test('hard-label loss gradient matches finite differences', async () => {
  const s = await lossGraph(false, 1);
  const ins = inputs(3);
  const keys = ['logits', 'target', 'ce_weight'];
  const out = await runOnce(s, feed(ins, keys));
  const f = async (i: Record<string, Float32Array>) => (await runOnce(s, feed(i, keys)))['loss']![0]!;
  const { worst, report } = await directionalCheck(f, ins, { logits: out['dlogits']! }, { eps: 1e-2, probes: 4, seed: 9 });
  await s.release();
  assert.ok(worst < 2e-3, report.join('\n'));
});
