/**
 * Cross-checks the hand-derived backward passes against an independent implementation: TensorFlow.js
 * (tfjs-core on its pure-JS CPU backend) and its own autodiff. The finite-difference specs
 * (layers.spec.ts, loss.spec.ts) probe a few random directions with a loose tolerance; here every
 * element of dx and of every parameter gradient must equal what another library's kernels compute
 * (Conv2DBackpropInput/Filter, MaxPoolGrad, matmul, softmax cross-entropy), at float32 round-off.
 * That also pins the conventions finite differences cannot see as clearly: weight layouts (Dense
 * [in, out], Conv OIHW), `same` padding, floor pooling, NCHW flatten order and the KD loss weighting.
 *
 * tfjs-core's CommonJS build registers no gradients (the @tensorflow/tfjs bundle registers them from
 * tfjs-core's ES-module files, whose extensionless imports Node cannot load as they are). A small
 * loader hook loads the few gradient configs used here from those files, unmodified; they register
 * into the global registry and engine the CommonJS build shares.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GraphBuilder } from '@edgefleet/onnx';
import { Layer, size } from '../layers/layer';
import { Dense } from '../layers/dense';
import { ReLU } from '../layers/activation';
import { Reshape, flatten } from '../layers/shape';
import { Conv2d, MaxPool2d } from '../layers/conv';
import { emitDistillLoss } from '../graph/loss';
import { rowLossWeights } from '../train/fit';
import { Network } from '../model/network';
import { cnn } from '../model/spec';
import { Prng } from '@edgefleet/toolkit';
import { randn, runOnce, session } from './grad-check';

/** Worst |ours − tfjs| allowed, relative to max(1, max|tfjs|) of the array. */
const TOL = 1e-4;

/** tfjs's own gradient configs for the kernels the references below run (a missing one fails as "gradient function not found for X"). */
const GRADIENTS = ['Add', 'BatchMatMul', 'Conv2D', 'MaxPool', 'Mean', 'Multiply', 'Neg', 'RealDiv', 'Relu', 'Reshape', 'Sub', 'Sum', 'Transpose'];

before(async () => {
  const dist = dirname(require.resolve('@tensorflow/tfjs-core'));
  const root = `${pathToFileURL(dist).href}/`;
  // Only for files under tfjs-core/dist loaded through import(): resolve `./x` to `./x.js` and load as ESM.
  const hooks = `const ROOT = ${JSON.stringify(root)};
export async function resolve(spec, ctx, next) {
  if (ctx.parentURL && ctx.parentURL.startsWith(ROOT) && spec.startsWith('.') && !spec.endsWith('.js')) {
    try { return await next(spec + '.js', ctx); } catch { return next(spec + '/index.js', ctx); }
  }
  return next(spec, ctx);
}
export async function load(url, ctx, next) {
  if (url.startsWith(ROOT) && url.endsWith('.js')) return next(url, { ...ctx, format: 'module' });
  return next(url, ctx);
}`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  for (const kernel of GRADIENTS) {
    if (tf.getGradient(kernel)) continue;
    const mod = (await import(`${root}gradients/${kernel}_grad.js`)) as Record<string, tf.GradConfig>;
    for (const config of Object.values(mod)) tf.registerGradient(config);
  }
  // PROD only silences the "install tfjs-node" banner; the CPU kernels are the same.
  tf.env().set('PROD', true);
  assert.ok(await tf.setBackend('cpu'));
  await tf.ready();
});

/** Asserts two arrays agree elementwise; the message names the worst element and its index. */
function assertClose(what: string, ours: Float32Array, ref: Float32Array, shape: number[], tol = TOL): void {
  assert.equal(ours.length, ref.length, `${what}: ${ours.length} values from our graph, ${ref.length} from tfjs`);
  assert.equal(ref.length, size(shape), `${what}: ${ref.length} values for shape [${shape}]`);
  let worst = 0;
  let worstDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]!));
    const d = Math.abs(ours[i]! - ref[i]!);
    if (!(d <= worstDiff)) {
      worstDiff = Number.isNaN(d) ? Infinity : d;
      worst = i;
    }
  }
  const index: number[] = [];
  for (let r = worst, k = shape.length - 1; k >= 0; k--) {
    index.unshift(r % shape[k]!);
    r = Math.floor(r / shape[k]!);
  }
  const bound = tol * Math.max(1, maxRef);
  const detail = `${what}[${index}]: ours ${ours[worst]} vs tfjs ${ref[worst]} (|diff| ${worstDiff.toExponential(2)}, bound ${bound.toExponential(2)}, max |tfjs| ${maxRef.toPrecision(4)})`;
  assert.ok(worstDiff <= bound, `worst element exceeds the tolerance: ${detail}`);
  assert.ok(maxRef > 0, `tfjs reference is all zeros, nothing was compared: ${detail}`);
}

/** Our layers' forward in tfjs, tensors kept NCHW between layers like the ONNX graphs. */
function tfForward(layers: Layer[], x: tf.Tensor, p: Record<string, tf.Tensor>): tf.Tensor {
  let v = x;
  for (const layer of layers) {
    const w = layer.params[0] ? p[layer.params[0].name]! : undefined;
    const b = layer.params[1] ? p[layer.params[1].name]! : undefined;
    if (layer instanceof Dense) {
      v = tf.add(tf.matMul(v as tf.Tensor2D, w as tf.Tensor2D), b!);
    } else if (layer instanceof Conv2d) {
      // NCHW → NHWC, OIHW → HWIO; stride 1, `same` = (k−1)/2 zero padding on every side for odd k.
      const y = tf.conv2d(tf.transpose(v, [0, 2, 3, 1]) as tf.Tensor4D, tf.transpose(w!, [2, 3, 1, 0]) as tf.Tensor4D, 1, 'same');
      v = tf.transpose(tf.add(y, b!), [0, 3, 1, 2]);
    } else if (layer instanceof MaxPool2d) {
      const k = layer.poolSize;
      v = tf.transpose(tf.maxPool(tf.transpose(v, [0, 2, 3, 1]) as tf.Tensor4D, k, k, 'valid'), [0, 3, 1, 2]);
    } else if (layer instanceof ReLU) {
      v = tf.relu(v);
    } else if (layer instanceof Reshape) {
      v = tf.reshape(v, [-1, ...layer.outShape]);
    } else {
      throw new Error(`no tfjs reference for layer ${layer.kind}`);
    }
    assert.deepEqual(v.shape.slice(1), layer.outShape, `tfjs ${layer.kind} output shape`);
  }
  return v;
}

/** Runs fn in a tidy scope and copies its tensors out. */
function tfRun(fn: () => tf.Tensor[]): Float32Array[] {
  const ts = tf.tidy(fn);
  const out = ts.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(ts);
  return out;
}

/**
 * y = layers(x) with dy = random upstream gradient: our graph's y, dx and every parameter gradient
 * against tfjs's y and vjp(dy) with respect to x and every parameter.
 */
async function crossCheckLayers(name: string, layers: Layer[], x: Float32Array, seed: number, B = 3): Promise<void> {
  const rng = new Prng(seed);
  const inShape = layers[0]!.inShape;
  const outShape = layers[layers.length - 1]!.outShape;
  const params = layers.flatMap((l) => l.params);
  const g = new GraphBuilder('crosscheck');
  g.input('x', 'float32', [B, ...inShape]);
  for (const p of params) g.input(p.name, 'float32', p.shape);
  const dyIn = g.input('dy', 'float32', [B, ...outShape]);
  const tapes = [];
  let v = 'x';
  for (const layer of layers) {
    const { y, tape } = layer.forward({ g, param: (n) => n, training: true, seed: 1 }, v);
    tapes.push(tape);
    v = y;
  }
  const grads = new Map<string, string>();
  let d = dyIn;
  for (let i = tapes.length - 1; i >= 0; i--) d = tapes[i]!.backward(g, d, grads, true)!;
  g.output(v, 'float32', [B, ...outShape], 'out.y');
  g.output(d, 'float32', [B, ...inShape], 'out.dx');
  for (const p of params) g.output(grads.get(p.name)!, 'float32', p.shape, `grad.${p.name}`);

  const values: Record<string, Float32Array> = {};
  for (const p of params) values[p.name] = randn(rng, size(p.shape), 0.5);
  const dy = randn(rng, B * size(outShape));
  const s = await session(g);
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = { x: { data: x, dims: [B, ...inShape] }, dy: { data: dy, dims: [B, ...outShape] } };
  for (const p of params) feeds[p.name] = { data: values[p.name]!, dims: p.shape };
  const ours = await runOnce(s, feeds);
  await s.release();

  const [yRef, dxRef, ...gradRefs] = tfRun(() => {
    const f = (xt: tf.Tensor, ...ps: tf.Tensor[]) => tfForward(layers, xt, Object.fromEntries(params.map((p, i) => [p.name, ps[i]!])));
    const { value, grads: gs } = tf.valueAndGrads(f)(
      [tf.tensor(x, [B, ...inShape]), ...params.map((p) => tf.tensor(values[p.name]!, p.shape))],
      tf.tensor(dy, [B, ...outShape]),
    );
    return [value, ...gs];
  });
  assertClose(`${name} y`, ours['out.y']!, yRef!, [B, ...outShape]);
  assertClose(`${name} dx`, ours['out.dx']!, dxRef!, [B, ...inShape]);
  params.forEach((p, i) => assertClose(`${name} d${p.name}`, ours[`grad.${p.name}`]!, gradRefs[i]!, p.shape));
}

/** Values kept away from 0 so round-off cannot move one across ReLU's kink. */
const awayFromZero = (rng: Prng, n: number) => Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1) * (0.2 + rng.next()));
/** A shuffled grid of well-separated values: no ties, so both libraries pick the same arg-max. */
const distinct = (rng: Prng, n: number) => Float32Array.from(rng.permutation(n), (v) => (v - n / 2) * 0.1);

test('dense: y, dx, dW, db equal tfjs', async () => {
  await crossCheckLayers('dense', [new Dense([5], 4, 'd')], randn(new Prng(1), 3 * 5), 10);
});

test('relu: y and dx equal tfjs', async () => {
  await crossCheckLayers('relu', [new ReLU([2, 7])], awayFromZero(new Prng(2), 3 * 14), 20);
});

test('conv2d 3×3 on a non-square image: y, dx, dW, db equal tfjs', async () => {
  await crossCheckLayers('conv3', [new Conv2d([2, 5, 6], 3, 3, 'c')], randn(new Prng(3), 3 * 2 * 5 * 6), 30);
});

test('conv2d 5×5 (padding 2) on a 4×4 image: y, dx, dW, db equal tfjs', async () => {
  await crossCheckLayers('conv5', [new Conv2d([3, 4, 4], 2, 5, 'c')], randn(new Prng(4), 3 * 3 * 4 * 4), 40);
});

test('maxpool2d 2×2: y and dx equal tfjs', async () => {
  await crossCheckLayers('pool2', [new MaxPool2d([2, 4, 6], 2)], distinct(new Prng(5), 3 * 2 * 4 * 6), 50);
});

test('maxpool2d 3×3 on a 7×8 image (floor drops a row and two columns): y and dx equal tfjs', async () => {
  await crossCheckLayers('pool3', [new MaxPool2d([2, 7, 8], 3)], distinct(new Prng(6), 3 * 2 * 7 * 8), 60);
});

test('conv2d → relu → maxpool → flatten → dense: y, dx and every parameter gradient equal tfjs', async () => {
  const conv = new Conv2d([2, 6, 6], 4, 3, 'c');
  const relu = new ReLU(conv.outShape);
  const pool = new MaxPool2d(relu.outShape, 2);
  const flat = flatten(pool.outShape);
  const dense = new Dense(flat.outShape, 5, 'd');
  await crossCheckLayers('chain', [conv, relu, pool, flat, dense], randn(new Prng(7), 3 * 2 * 36), 70);
});

// ---- KD loss ----

/** Row weights as training feeds them to emitDistillLoss (fit.ts's rowLossWeights, the rule fillBatch uses). */
function rowWeights(labeled: boolean[], alpha: number, distill: boolean): { ce: Float32Array; kd: Float32Array } {
  const w = labeled.map((l) => rowLossWeights(l, alpha, distill, labeled.length));
  return { ce: Float32Array.from(w, (r) => r.ce), kd: Float32Array.from(w, (r) => r.kd) };
}

interface KdCase { T: number; alpha: number; labeled: boolean[]; distill: boolean }

/**
 * The objective written from its definition in tfjs: the batch mean of
 *   α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−α)·CE(y, softmax(s))   for labeled rows,
 *   T²·KL(softmax(t/T) ‖ softmax(s/T))                                for unlabeled rows,
 * or of CE(y, softmax(s)) over all rows for hard-label training. KL = CE(p, q) − H(p); both
 * cross-entropies are tfjs's softmaxCrossEntropy (with its own gradient).
 */
function tfKdLoss(s: tf.Tensor2D, teacher: tf.Tensor2D, target: tf.Tensor2D, c: KdCase): tf.Scalar {
  const ce = tf.losses.softmaxCrossEntropy(target, s, undefined, 0, tf.Reduction.NONE);
  if (!c.distill) return tf.mean(ce);
  const m = tf.tensor1d(c.labeled.map((l) => (l ? 1 : 0)));
  const pt = tf.softmax(tf.div(teacher, c.T));
  const entropy = tf.neg(tf.sum(tf.mul(pt, tf.logSoftmax(tf.div(teacher, c.T))), 1));
  const kl = tf.sub(tf.losses.softmaxCrossEntropy(pt, tf.div(s, c.T), undefined, 0, tf.Reduction.NONE), entropy);
  const kdRow = tf.tensor1d(c.labeled.map((l) => (l ? c.alpha : 1)));
  const perRow = tf.add(tf.mul(tf.mul(kdRow, kl), c.T * c.T), tf.mul(tf.mul(m, 1 - c.alpha), ce));
  return tf.mean(perRow);
}

/** Our loss graph fed from raw inputs; returns loss and dlogits. */
async function ourLoss(B: number, K: number, c: KdCase, ins: { logits: Float32Array; teacher: Float32Array; target: Float32Array }) {
  const g = new GraphBuilder('loss');
  const logits = g.input('logits', 'float32', [B, K]);
  const target = g.input('target', 'float32', [B, K]);
  const ceWeight = g.input('ce_weight', 'float32', [B, 1]);
  const teacher = c.distill ? g.input('teacher', 'float32', [B, K]) : undefined;
  const kdWeight = c.distill ? g.input('kd_weight', 'float32', [B, 1]) : undefined;
  const { loss, dlogits } = emitDistillLoss(g, { logits, target, ceWeight, teacher, kdWeight, temperature: c.T });
  g.output(loss, 'float32', [], 'loss');
  g.output(dlogits, 'float32', [B, K], 'dlogits');
  const w = rowWeights(c.labeled, c.alpha, c.distill);
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
    logits: { data: ins.logits, dims: [B, K] },
    target: { data: ins.target, dims: [B, K] },
    ce_weight: { data: w.ce, dims: [B, 1] },
  };
  if (c.distill) {
    feeds['teacher'] = { data: ins.teacher, dims: [B, K] };
    feeds['kd_weight'] = { data: w.kd, dims: [B, 1] };
  }
  const s = await session(g);
  const out = await runOnce(s, feeds);
  await s.release();
  return out;
}

const kdCases: KdCase[] = [
  { T: 1, alpha: 0.5, labeled: [true, true, false, true, false], distill: true },
  { T: 4, alpha: 0.3, labeled: [true, false, true, true, true], distill: true },
  { T: 2.5, alpha: 0.9, labeled: [true, true, true, true, true], distill: true },
  { T: 3, alpha: 0.5, labeled: [false, false, false, false, false], distill: true },
  { T: 1, alpha: 0, labeled: [true, true, true, true, true], distill: false },
];

for (const [ci, c] of kdCases.entries()) {
  const label = c.distill ? `KD loss T=${c.T} α=${c.alpha}, ${c.labeled.filter((l) => !l).length} of ${c.labeled.length} rows unlabeled` : 'hard-label CE loss';
  test(`${label}: loss and dlogits equal tfjs`, async () => {
    const B = c.labeled.length;
    const K = 7;
    const rng = new Prng(100 + ci);
    const logits = randn(rng, B * K, 2);
    const teacher = randn(rng, B * K, 3);
    // Every row, unlabeled ones too, gets some one-hot: the row weight alone must mask it out.
    const target = new Float32Array(B * K);
    for (let i = 0; i < B; i++) target[i * K + rng.int(K)] = 1;
    const ours = await ourLoss(B, K, c, { logits, teacher, target });
    const [lossRef, dRef] = tfRun(() => {
      const t = tf.tensor2d(teacher, [B, K]);
      const y = tf.tensor2d(target, [B, K]);
      const { value, grads } = tf.valueAndGrads((s: tf.Tensor) => tfKdLoss(s as tf.Tensor2D, t, y, c))([tf.tensor2d(logits, [B, K])]);
      return [value, grads[0]!];
    });
    assertClose(`${label} loss`, ours['loss']!, lossRef!, [1]);
    // dlogits carry the 1/B of the mean (values ~0.1): compare them at B× scale so the bound stays tight.
    const scaled = (a: Float32Array) => a.map((v) => v * B);
    assertClose(`${label} B·dlogits`, scaled(ours['dlogits']!), scaled(dRef!), [B, K]);
  });
}

// ---- A whole student, as the training graph wires it ----

test('cnn student + KD loss via Network.forward/backward: logits, loss and every parameter gradient equal tfjs', async () => {
  const B = 4;
  // Flat samples, so the network starts with the reshape bridge; two conv blocks, so the inner conv's dx is used.
  const net = new Network(cnn({ channels: [3, 4], dense: 6, numClasses: 5, inputShape: [1, 8, 8] }), [64]);
  const K = net.numClasses;
  const c: KdCase = { T: 2, alpha: 0.6, labeled: [true, false, true, true], distill: true };
  const rng = new Prng(200);
  const x = randn(rng, B * 64);
  const teacher = randn(rng, B * K, 3);
  const target = new Float32Array(B * K);
  c.labeled.forEach((l, i) => { if (l) target[i * K + rng.int(K)] = 1; });
  const values = new Map(net.params.map((p) => [p.name, randn(rng, size(p.shape), Math.sqrt(2 / p.fanIn))]));

  const g = new GraphBuilder('student');
  g.input('x', 'float32', [B, 64]);
  const tgt = g.input('target', 'float32', [B, K]);
  const ceWeight = g.input('ce_weight', 'float32', [B, 1]);
  const tch = g.input('teacher', 'float32', [B, K]);
  const kdWeight = g.input('kd_weight', 'float32', [B, 1]);
  for (const p of net.params) g.input(p.name, 'float32', p.shape);
  const { logits, tapes } = net.forward(g, 'x', (n) => n, true, 0);
  const { loss, dlogits } = emitDistillLoss(g, { logits, target: tgt, ceWeight, teacher: tch, kdWeight, temperature: c.T });
  const grads = net.backward(g, tapes, dlogits);
  g.output(logits, 'float32', [B, K], 'logits');
  g.output(loss, 'float32', [], 'loss');
  for (const p of net.params) g.output(grads.get(p.name)!, 'float32', p.shape, `grad.${p.name}`);
  const w = rowWeights(c.labeled, c.alpha, true);
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
    x: { data: x, dims: [B, 64] },
    target: { data: target, dims: [B, K] },
    ce_weight: { data: w.ce, dims: [B, 1] },
    teacher: { data: teacher, dims: [B, K] },
    kd_weight: { data: w.kd, dims: [B, 1] },
  };
  for (const p of net.params) feeds[p.name] = { data: values.get(p.name)!, dims: p.shape };
  const s = await session(g);
  const ours = await runOnce(s, feeds);
  await s.release();

  const [logitsRef, lossRef, ...gradRefs] = tfRun(() => {
    const xt = tf.tensor2d(x, [B, 64]);
    const t = tf.tensor2d(teacher, [B, K]);
    const y = tf.tensor2d(target, [B, K]);
    const ps = net.params.map((p) => tf.tensor(values.get(p.name)!, p.shape));
    const byName = (ts: tf.Tensor[]) => Object.fromEntries(net.params.map((p, i) => [p.name, ts[i]!]));
    const out = tfForward(net.layers, xt, byName(ps));
    const { value, grads: gs } = tf.valueAndGrads((...pt: tf.Tensor[]) => tfKdLoss(tfForward(net.layers, xt, byName(pt)) as tf.Tensor2D, t, y, c))(ps);
    return [out, value, ...gs];
  });
  assertClose('student logits', ours['logits']!, logitsRef!, [B, K]);
  assertClose('student loss', ours['loss']!, lossRef!, [1]);
  // Parameter gradients carry the 1/B of the batch mean: compared at B× scale.
  const scaled = (a: Float32Array) => a.map((v) => v * B);
  net.params.forEach((p, i) => assertClose(`student B·d${p.name}`, scaled(ours[`grad.${p.name}`]!), scaled(gradRefs[i]!), p.shape));
});
