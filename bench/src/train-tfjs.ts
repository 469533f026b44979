/**
 * The alternative a TypeScript user would reach for to train a small classifier: TensorFlow.js with its
 * WebAssembly backend (or the pure-JS CPU backend). Used by the training benchmark as the baseline the
 * ONNX-graph engine is compared with, so it is kept independent of the engine.
 *
 * What one step is, so the engine can do exactly the same work: a dense ReLU MLP
 * (features → hidden… → numClasses, He-normal weights, zero biases), softmax cross-entropy on one-hot
 * labels averaged over the batch, and one Adam step (lr 1e-3, β1 0.9, β2 0.999, ε 1e-7: tfjs defaults)
 * per batch. Rows are reshuffled every epoch with a seeded permutation; the last partial batch is kept.
 * Only tfjs-core ops are used (tfjs-layers is not installed).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { dirname, join } from 'node:path';
import { Prng } from '@edgefleet/toolkit';

export interface TfjsTrainOptions {
  x: Float32Array;
  y: Int32Array;
  n: number;
  features: number;
  hidden: number[];
  numClasses: number;
  batchSize: number;
  epochs: number;
  seed: number;
  /** Adam learning rate, default 1e-3. */
  learningRate?: number;
}

export interface TfjsTrainResult {
  /** Training samples processed per second, from the first step to the last loss read back (setup excluded). */
  samplesPerSec: number;
  /** Mean loss of the last batch. */
  finalLoss: number;
  seconds: number;
  steps: number;
  backend: string;
}

/**
 * tfjs-core's CommonJS build registers no gradients (the @tensorflow/tfjs bundle does, from ES modules
 * Node cannot load without a bundler), so the few this MLP needs are registered here, written as
 * tfjs-core's own gradient configs. The loss's softmax part carries its own gradient (customGrad).
 */
function registerMlpGradients(): void {
  const reduceTo = (g: tf.Tensor, shape: number[]): tf.Tensor => {
    const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
    return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
  };
  const configs: tf.GradConfig[] = [
    {
      kernelName: tf.BatchMatMul,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved, attrs) => {
        const [a, b] = saved;
        const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
        const d = dy as tf.Tensor;
        if (!transposeA && !transposeB) return { a: () => tf.matMul(d, b, false, true), b: () => tf.matMul(a, d, true, false) };
        if (!transposeA && transposeB) return { a: () => tf.matMul(d, b, false, false), b: () => tf.matMul(d, a, true, false) };
        if (transposeA && !transposeB) return { a: () => tf.matMul(b, d, false, true), b: () => tf.matMul(a, d, false, false) };
        return { a: () => tf.matMul(b, d, true, true), b: () => tf.matMul(d, a, true, true) };
      },
    },
    {
      kernelName: tf.Add,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => ({ a: () => reduceTo(dy as tf.Tensor, saved[0].shape), b: () => reduceTo(dy as tf.Tensor, saved[1].shape) }),
    },
    {
      kernelName: tf.Relu,
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(saved[0])) }),
    },
    {
      kernelName: tf.Multiply,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved;
        return { a: () => reduceTo(tf.mul(dy as tf.Tensor, b), a.shape), b: () => reduceTo(tf.mul(dy as tf.Tensor, a), b.shape) };
      },
    },
    {
      kernelName: tf.RealDiv,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved;
        return {
          a: () => reduceTo(tf.div(dy as tf.Tensor, b), a.shape),
          b: () => reduceTo(tf.neg(tf.mul(dy as tf.Tensor, tf.div(a, tf.square(b)))), b.shape),
        };
      },
    },
    {
      kernelName: tf.Sum,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const x = saved[0];
        const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
        const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, kept), tf.ones(x.shape, 'float32')) };
      },
    },
  ];
  for (const c of configs) if (!tf.getGradient(c.kernelName)) tf.registerGradient(c);
}

// The .wasm binaries ship inside the npm package; pointing tfjs at them avoids any download.
let wasmPathsSet = false;
function useLocalWasm(): void {
  if (wasmPathsSet) return;
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  wasmPathsSet = true;
}

async function selectBackend(name: 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') useLocalWasm();
  // PROD: what a deployed user runs (fewer debug checks), and no "install tfjs-node" banner in bench output.
  tf.env().set('PROD', true);
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
}

function validate(o: TfjsTrainOptions): void {
  if (o.x.length !== o.n * o.features) throw new RangeError(`x has ${o.x.length} values, expected n × features = ${o.n * o.features}`);
  if (o.y.length !== o.n) throw new RangeError(`y has ${o.y.length} labels, expected ${o.n}`);
  if (!(o.batchSize > 0 && o.epochs > 0)) throw new RangeError('batchSize and epochs must be positive');
}

async function trainTfjs(backend: 'wasm' | 'cpu', o: TfjsTrainOptions): Promise<TfjsTrainResult> {
  validate(o);
  registerMlpGradients();
  await selectBackend(backend);
  const sizes = [o.features, ...o.hidden, o.numClasses];
  const params = sizes.slice(1).map((fout, l) => {
    const fin = sizes[l];
    return {
      w: tf.variable(tf.randomNormal([fin, fout], 0, Math.sqrt(2 / fin), 'float32', o.seed + l), true, `w${l}`),
      b: tf.variable(tf.zeros([fout]), true, `b${l}`),
    };
  });
  const xAll = tf.tensor2d(o.x, [o.n, o.features]);
  const yAll = tf.tensor1d(o.y, 'int32');
  const optimizer = tf.train.adam(o.learningRate ?? 1e-3);
  const forward = (xb: tf.Tensor2D): tf.Tensor2D =>
    params.reduce((h, p, l) => {
      const z = tf.add(tf.matMul(h, p.w), p.b) as tf.Tensor2D;
      return l + 1 < params.length ? tf.relu(z) : z;
    }, xb);

  let last: tf.Scalar | undefined;
  let steps = 0;
  const started = process.hrtime.bigint();
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const order = new Prng(o.seed * 1000 + epoch).permutation(o.n); // seeded, as ours, from the project's one generator
      for (let start = 0; start < o.n; start += o.batchSize) {
        const idx = tf.tensor1d(order.subarray(start, Math.min(o.n, start + o.batchSize)), 'int32');
        const loss = optimizer.minimize(() => {
          const xb = tf.gather(xAll, idx) as tf.Tensor2D;
          const yb = tf.oneHot(tf.gather(yAll, idx) as tf.Tensor1D, o.numClasses);
          return tf.losses.softmaxCrossEntropy(yb, forward(xb)) as tf.Scalar;
        }, true);
        idx.dispose();
        last?.dispose();
        last = loss ?? undefined;
        steps++;
      }
    }
    // Reading the loss waits for the last step, so the clock covers all the work.
    const finalLoss = last ? (await last.data())[0] : NaN;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { samplesPerSec: (o.n * o.epochs) / seconds, finalLoss, seconds, steps, backend };
  } finally {
    last?.dispose();
    xAll.dispose();
    yAll.dispose();
    optimizer.dispose();
    params.forEach((p) => (p.w.dispose(), p.b.dispose()));
  }
}

/** tfjs-core + tfjs-backend-wasm (the binaries shipped in the npm package). */
export const trainTfjsWasm = (opts: TfjsTrainOptions): Promise<TfjsTrainResult> => trainTfjs('wasm', opts);

/** tfjs-core + tfjs-backend-cpu (plain JavaScript kernels): the slowest baseline. */
export const trainTfjsCpu = (opts: TfjsTrainOptions): Promise<TfjsTrainResult> => trainTfjs('cpu', opts);
