import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../model/network';
import { defaultStudents, defaultTeacher } from './ladder';

test('default ladder for the CNN teacher: 1–25% of its size, smallest first, with a ≤ 10% CNN', () => {
  const shape = [1, 28, 28];
  const teacherParams = new Network(defaultTeacher('cnn', shape, 10), shape).paramCount;
  const ladder = defaultStudents(teacherParams, shape, 10).map((s) => ({ s, params: new Network(s, shape).paramCount }));
  assert.equal(ladder.length, 4);
  for (const { params } of ladder) assert.ok(params >= 0.01 * teacherParams && params <= 0.25 * teacherParams, `${params}`);
  assert.deepEqual(ladder.map((l) => l.params), [...ladder.map((l) => l.params)].sort((a, b) => a - b));
  // The bench's retention student: the step of the ladder that keeps ≥ 97% of the teacher on Fashion-MNIST.
  assert.ok(ladder.some(({ s, params }) => s.family === 'cnn' && params <= 0.1 * teacherParams));
});

test('default ladder for an MLP-only data set has no CNN', () => {
  const shape = [30];
  const teacherParams = new Network(defaultTeacher(undefined, shape, 3), shape).paramCount;
  assert.ok(defaultStudents(teacherParams, shape, 3).every((s) => s.family === 'mlp'));
});
