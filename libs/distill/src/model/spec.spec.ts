import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cnn, formatModelSpec, mlp, MODEL_SPEC_PATTERN, ModelSpec, parseModelSpec } from './spec';
import { studentCandidates } from '../pipeline/ladder';
import { DistillConfigError } from '../errors';

test('formatModelSpec writes what parseModelSpec reads: the same layers come back', () => {
  const image = { channels: [8, 16], numClasses: 10, inputShape: [1, 28, 28] };
  const cases: { spec: ModelSpec; sampleShape: number[]; numClasses: number }[] = [
    ...[mlp([784, 64, 10]), mlp([784, 512, 256, 10]), cnn({ ...image, dense: 32 }), cnn({ ...image, dense: 0 }), ...studentCandidates([1, 28, 28], 10)]
      .map((spec) => ({ spec, sampleShape: [1, 28, 28], numClasses: 10 })),
    { spec: mlp([30, 8, 2]), sampleShape: [30], numClasses: 2 },
  ];
  for (const { spec, sampleShape, numClasses } of cases) {
    const text = formatModelSpec(spec);
    assert.match(text, MODEL_SPEC_PATTERN);
    assert.deepEqual(parseModelSpec(text, sampleShape, numClasses).layers, spec.layers, text);
  }
  assert.equal(formatModelSpec(mlp([784, 512, 256, 10])), 'mlp:512x256');
  assert.equal(formatModelSpec(cnn({ channels: [8, 16], dense: 32, numClasses: 10, inputShape: [1, 28, 28] })), 'cnn:8-16-32');
});

test('text outside the grammar is a DistillConfigError naming it', () => {
  for (const bad of ['mlp', 'rnn:8', 'mlp:8,16', 'cnn:8', 'mlp:0']) assert.throws(() => parseModelSpec(bad, [784], 10), DistillConfigError, bad);
});
