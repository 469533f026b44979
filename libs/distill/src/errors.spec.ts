import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '@edgefleet/onnx';
import { DistillConfigError, isRepeatableRuntimeError } from './errors';

test('a shape onnxruntime refuses is a repeatable failure (a job queue must not retry it); running out of memory is not', async () => {
  // Declares any feature count, multiplies by a 3-row matrix: 8 features fail inside the MatMul kernel, every time.
  const g = new GraphBuilder('lying');
  const x = g.input('x', 'float32', ['batch', 'features']);
  g.output(g.op('MatMul', [x, g.initializer('W', Float32Array.from({ length: 9 }, (_, i) => i / 9), [3, 3])]), 'float32', ['batch', 3], 'y');
  const session = await ort.InferenceSession.create(g.toModel());
  const err = await session.run({ x: new ort.Tensor('float32', new Float32Array(8), [1, 8]) }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof Error, 'onnxruntime refuses the run');
  assert.equal(isRepeatableRuntimeError(err), true, (err as Error).message);
  assert.equal(isRepeatableRuntimeError(new Error('Failed to allocate memory for requested buffer of size 4294967296')), false);
  assert.equal(isRepeatableRuntimeError(new Error('ECONNRESET')), false);
  assert.equal(isRepeatableRuntimeError(new DistillConfigError('x')), false, 'config errors have their own class');
  await session.release();
});
