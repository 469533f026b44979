/**
 * Models shaped like the ones users bring (nobody on this project trains them), built in code with GraphBuilder for
 * tests of the upload checks, input specs, task metrics and the memory measure (docs/models.md). Each comes with the
 * input spec and eval data a third party would supply, and the figures the device must report, computed here by
 * hand rather than by running the model.
 */
import { GraphBuilder } from '../graph-builder';
import { Prng } from '@edgefleet/toolkit';

/**
 * Shaped like silero VAD: `input` [batch, samples] audio (both dims dynamic), a recurrent `state` [2, batch, 128]
 * whose next value is the output `stateN`, and an int64 scalar `sr` (the sample rate). The audio is reflect-padded
 * by one sample on each side (as silero's STFT front end is), so a device that sets the dynamic dims to 1 fails
 * with onnxruntime's "Pad reflect requires axis length >= 2". `output` [batch, 1] is a speech probability.
 */
export function recurrentVadModel(): Uint8Array {
  const g = new GraphBuilder('vad');
  const x = g.input('input', 'float32', ['batch', 'samples']);
  const state = g.input('state', 'float32', [2, 'batch', 128]);
  const sr = g.input('sr', 'int64', []);
  const padded = g.op('Pad', [x, g.const('pads', [0, 1, 0, 1], 'int64')], { mode: 'reflect' });
  const energy = g.op('ReduceMean', [padded], { axes: [1], keepdims: 1 }); // [batch, 1]
  const rate = g.op('Div', [g.op('Cast', [sr], { to: 1 }), g.const('sr16k', 16000)]); // 1 at 16 kHz
  const next = g.op('Tanh', [g.op('Add', [g.op('Mul', [state, g.const('decay', 0.5)]), energy])]); // [2, batch, 128]
  g.node('Identity', [next], ['stateN']);
  const memory = g.op('Reshape', [g.op('ReduceMean', [next], { axes: [0, 2], keepdims: 1 }), g.const('to_b1', [-1, 1], 'int64')]);
  g.node('Sigmoid', [g.op('Add', [g.op('Mul', [energy, rate]), memory])], ['output']);
  g.output('output', 'float32', ['batch', 1]);
  g.output('stateN', 'float32', [2, 'batch', 128]);
  return g.toModel();
}

/** What a user uploads with recurrentVadModel: 512-sample frames at 16 kHz, the state carried between frames. */
export const RECURRENT_VAD_SPEC = {
  inputs: { input: { shape: [1, 512] }, sr: { value: 16000 }, state: { shape: [2, 1, 128], fill: 'zeros', stateFrom: 'stateN' } },
} as const;

/** Shaped like a wake-word head: fixed `features` [1, 25, 96] (25 frames of 96 embedding values) → one sigmoid. */
export function wakeWordModel(weights: Float32Array): Uint8Array {
  const g = new GraphBuilder('wakeword');
  const x = g.input('features', 'float32', [1, 25, 96]);
  const flat = g.op('Reshape', [x, g.const('flat', [1, 25 * 96], 'int64')]);
  const logit = g.op('MatMul', [flat, g.initializer('w', weights, [25 * 96, 1])]);
  g.node('Sigmoid', [logit], ['probability']);
  g.output('probability', 'float32', [1, 1]);
  return g.toModel();
}

/** A linear regressor y = x·w + b, x [batch, features], y [batch, outputs]. */
export function linearRegressor(w: Float32Array, b: Float32Array, features: number): Uint8Array {
  const g = new GraphBuilder('regressor');
  const x = g.input('x', 'float32', ['batch', features]);
  const y = g.op('Add', [g.op('MatMul', [x, g.initializer('w', w, [features, b.length])]), g.initializer('b', b, [b.length])]);
  g.output(y, 'float32', ['batch', b.length], 'y');
  return g.toModel();
}

/** A multi-label head: `labels` independent sigmoids over x [batch, features]. */
export function multiLabelModel(w: Float32Array, features: number, labels: number): Uint8Array {
  const g = new GraphBuilder('multilabel');
  const x = g.input('x', 'float32', ['batch', features]);
  const p = g.op('Sigmoid', [g.op('MatMul', [x, g.initializer('w', w, [features, labels])])]);
  g.output(p, 'float32', ['batch', labels], 'probabilities');
  return g.toModel();
}

/** Seeded values in [-1, 1): the test data of the models above. */
export function seededValues(n: number, seed: number): Float32Array {
  const u = new Prng(seed).uniform();
  return Float32Array.from({ length: n }, () => u() * 2 - 1);
}

/** Labelled data for a model above, in the eval set's terms (libs/onnx does not depend on contracts' encoder). */
export interface ForeignCase {
  model: Uint8Array;
  x: Float32Array;
  n: number;
  sampleShape: number[];
  /** Class per sample (binary). */
  y?: Int32Array;
  /** n × outputs (regression). */
  targets?: Float32Array;
}

/**
 * A wake-word head and 20 labelled windows, labelled by the sign of the head's logit except the first 3, which are
 * flipped: binary accuracy at threshold 0.5 is exactly 17/20 = 0.85.
 */
export function wakeWordCase(): ForeignCase & { expectedAccuracy: number } {
  const w = seededValues(25 * 96, 7);
  const n = 20;
  const x = new Float32Array(n * 25 * 96);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = seededValues(25 * 96, 100 + i);
    x.set(s, i * s.length);
    const logit = s.reduce((a, v, j) => a + v * w[j]!, 0);
    y[i] = (logit > 0 ? 1 : 0) ^ (i < 3 ? 1 : 0);
  }
  return { model: wakeWordModel(w), x, n, sampleShape: [25, 96], y, expectedAccuracy: 0.85 };
}

/** A linear regressor on 8 features and 10 samples whose targets are off by −0.3 and +0.1 in turn: MAE 0.2, RMSE √0.05. */
export function regressionCase(): ForeignCase & { expectedMae: number; expectedRmse: number } {
  const w = seededValues(8, 3);
  const b = 0.5;
  const n = 10;
  const x = new Float32Array(n * 8);
  const targets = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = seededValues(8, 200 + i);
    x.set(s, i * 8);
    targets[i] = s.reduce((a, v, j) => a + v * w[j]!, b) + (i % 2 ? 0.1 : -0.3);
  }
  return { model: linearRegressor(w, new Float32Array([b]), 8), x, n, sampleShape: [8], targets, expectedMae: 0.2, expectedRmse: Math.sqrt(0.05) };
}
