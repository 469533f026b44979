import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subsetLabels, trainValidationSplit } from './subsets';
import { tinyImages } from './test-factory';

test('subsetLabels keeps about the fraction of every class, reproducibly', () => {
  const y = Int32Array.from({ length: 1000 }, (_, i) => (i < 900 ? i % 9 : 9)); // class 9 is rarer
  const ds = { y, n: y.length, numClasses: 10 };
  const mask = subsetLabels(ds, 0.1, 7);
  assert.deepEqual(mask, subsetLabels(ds, 0.1, 7));
  assert.notDeepEqual(mask, subsetLabels(ds, 0.1, 8));
  const perClass = new Array<number>(10).fill(0);
  mask.forEach((m, i) => (perClass[y[i]] += m));
  assert.deepEqual(perClass, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
  // Not simply the first rows of each class.
  assert.ok(mask.subarray(0, 90).reduce((a, b) => a + b, 0) < 90);
});

test('subsetLabels keeps at least one label per class and rejects bad fractions', () => {
  const y = Int32Array.from([0, 0, 0, 1]);
  const mask = subsetLabels({ y, n: 4, numClasses: 2 }, 0.01, 1);
  assert.equal(mask[3], 1);
  assert.throws(() => subsetLabels({ y, n: 4, numClasses: 2 }, 0, 1), RangeError);
});

test('trainValidationSplit is seeded, disjoint and complete', () => {
  const ds = tinyImages(50, 1, 1, 50); // pixel i is unique enough to identify row i
  ds.x = Float32Array.from({ length: 50 }, (_, i) => i);
  const a = trainValidationSplit(ds, 0.2, 42);
  const b = trainValidationSplit(ds, 0.2, 42);
  assert.equal(a.validation.n, 10);
  assert.equal(a.train.n, 40);
  assert.deepEqual(a.validation.x, b.validation.x);
  const seen = [...a.train.x, ...a.validation.x].sort((p, q) => p - q);
  assert.deepEqual(seen, [...ds.x]);
  assert.deepEqual(a.train.y[0], a.train.x[0]); // labels travel with their rows
});
