import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TensorInfo } from './profile';
import { evalSetProblems } from './eval-set-fit';

const inputs: TensorInfo[] = [{ name: 'x', type: 'float32', dims: ['batch', 1, 28, 28] }];
const outputs: TensorInfo[] = [{ name: 'logits', type: 'float32', dims: ['batch', 10] }];
const set = (over = {}) => ({ inputName: '', sampleShape: [1, 28, 28], numClasses: 10, n: 100, ...over });

test('a fitting eval set has no problems; symbolic dims accept any size', () => {
  assert.deepEqual(evalSetProblems(set(), inputs, outputs), []);
  assert.deepEqual(evalSetProblems(set(), [{ name: 'x', type: 'float32', dims: ['n', 'c', 'h', 'w'] }], outputs), []);
  assert.deepEqual(evalSetProblems(set({ inputName: 'x' }), inputs, outputs), []);
});

test('shape, rank, input name, element type and class count are checked', () => {
  assert.match(evalSetProblems(set({ sampleShape: [1, 28, 27] }), inputs, outputs).join(), /dimension 3 is 28/);
  assert.match(evalSetProblems(set({ sampleShape: [784] }), inputs, outputs).join(), /need \[batch, 784\]/);
  assert.match(evalSetProblems(set({ inputName: 'image' }), inputs, outputs).join(), /feeds input "image"/);
  assert.match(evalSetProblems(set(), [{ ...inputs[0]!, type: 'uint8' }], outputs).join(), /uint8/);
  assert.match(evalSetProblems(set({ numClasses: 7 }), inputs, outputs).join(), /10 classes, the eval set has 7/);
  assert.match(evalSetProblems(set({ n: 0 }), inputs, outputs).join(), /no samples/);
});

test('binary sets fit one probability or two columns; multilabel and regression sets fit their output width', () => {
  const one: TensorInfo[] = [{ name: 'p', type: 'float32', dims: ['batch', 1] }];
  assert.deepEqual(evalSetProblems(set({ numClasses: 2, task: 'binary' }), inputs, one), []);
  assert.match(evalSetProblems(set({ numClasses: 2, task: 'binary' }), inputs, outputs).join(), /binary eval set needs 1 \(a probability\) or 2/);
  assert.match(evalSetProblems(set({ numClasses: 3, task: 'regression' }), inputs, one).join(), /scores 1 values, the eval set has 3/);
  assert.deepEqual(evalSetProblems(set({ numClasses: 10, task: 'multilabel' }), inputs, outputs), []);
});
