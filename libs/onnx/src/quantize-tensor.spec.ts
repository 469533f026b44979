import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantizeSymmetric, transpose2d } from './quantize-tensor';

test('symmetric int8 per channel: max maps to ±127, zero channel gets scale 1', () => {
  // [K=2, N=3], channels along axis 1 (columns).
  const w = Float32Array.from([1, -0.5, 0, -2, 0.25, 0]);
  const { q, scales } = quantizeSymmetric(w, [2, 3], 1);
  assert.deepEqual([...scales].map((s) => +s.toFixed(6)), [+(2 / 127).toFixed(6), +(0.5 / 127).toFixed(6), 1]);
  assert.deepEqual([...q], [64, -127, 0, -127, 64, 0]);
  const t = quantizeSymmetric(w, [2, 3]);
  assert.equal(t.scales.length, 1);
  assert.deepEqual([...t.q], [64, -32, 0, -127, 16, 0]);
});

test('transpose2d', () => {
  assert.deepEqual([...transpose2d(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3)], [1, 4, 2, 5, 3, 6]);
});
