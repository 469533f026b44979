import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from './graph-builder';
import { loadModelInfo, readFloatInitializers } from './model-info';
import { OnnxModelError } from './errors';

test('a built model runs in onnxruntime and reports its inputs, outputs, ops and parameters', async () => {
  const g = new GraphBuilder('affine');
  const x = g.input('input', 'float32', ['batch', 3]);
  const w = g.initializer('w', Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]);
  const b = g.initializer('b', Float32Array.of(0.5, -0.5), [2]);
  g.output(g.op('Relu', [g.op('Gemm', [x, w, b])]), 'float32', ['batch', 2], 'logits');
  const bytes = g.toModel({ opset: 17 });

  const info = loadModelInfo(bytes);
  assert.deepEqual(info.inputs, [{ name: 'input', dtype: 'float32', dims: ['batch', 3] }]);
  assert.deepEqual(info.outputs, [{ name: 'logits', dtype: 'float32', dims: ['batch', 2] }]);
  assert.deepEqual(info.opTypes, ['Gemm', 'Identity', 'Relu']);
  assert.equal(info.parameterCount, 8);
  assert.deepEqual([...readFloatInitializers(bytes).get('w')!.data], [1, 2, 3, 4, 5, 6]);

  const s = await ort.InferenceSession.create(bytes);
  const r = await s.run({ input: new ort.Tensor('float32', Float32Array.of(1, 0, -1, 0, 0, 0), [2, 3]) });
  await s.release();
  // [1,0,-1]·W = [1−5, 2−6] = [−4, −4] → +b → relu → [0, 0]; zeros row → relu(b) = [0.5, 0].
  assert.deepEqual([...(r['logits']!.data as Float32Array)], [0, 0, 0.5, 0]);
});

test('fresh names never collide and explicit duplicates are refused', () => {
  const g = new GraphBuilder();
  g.input('x', 'float32', [1]);
  const a = g.op('Neg', ['x'], {}, 'y');
  const b = g.op('Neg', ['x'], {}, 'y');
  assert.notEqual(a, b);
  assert.throws(() => g.input('x', 'float32', [1]), OnnxModelError);
  assert.throws(() => g.node('Neg', ['x'], [a]), OnnxModelError);
});

test('loadModelInfo rejects bytes that are not a model', () => {
  assert.throws(() => loadModelInfo(Uint8Array.of(1, 2, 3, 4)), OnnxModelError);
});
