import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder } from './graph-builder';
import { countMacs } from './macs';
import { quantizeInt8 } from './quantize';

const zeros = (n: number) => new Float32Array(n).map((_, i) => Math.sin(i) * 0.1);

function mlp(sizes: number[]): Uint8Array {
  const g = new GraphBuilder('mlp');
  let x = g.input('x', 'float32', ['batch', sizes[0]!]);
  for (let i = 1; i < sizes.length; i++) {
    const w = g.initializer('w', zeros(sizes[i - 1]! * sizes[i]!), [sizes[i - 1]!, sizes[i]!]);
    x = g.op('Add', [g.op('MatMul', [x, w]), g.initializer('b', zeros(sizes[i]!), [sizes[i]!])]);
    if (i < sizes.length - 1) x = g.op('Relu', [x]);
  }
  g.output(x, 'float32', ['batch', sizes[sizes.length - 1]!], 'logits');
  return g.toModel();
}

describe('countMacs', () => {
  it('counts MatMul layers of an MLP per sample, and the int8 form the same', () => {
    const model = mlp([784, 256, 64, 10]);
    const want = 784 * 256 + 256 * 64 + 64 * 10;
    assert.deepEqual(countMacs(model), { macs: want, exact: true });
    assert.equal(countMacs(quantizeInt8(model)).macs, want);
  });

  it('follows shapes through Reshape, Conv (pads), MaxPool and a transposed Gemm', () => {
    const g = new GraphBuilder('cnn');
    const x = g.input('x', 'float32', ['batch', 784]);
    const img = g.op('Reshape', [x, g.const('shape', [-1, 1, 28, 28], 'int64')]);
    const conv = g.op('Conv', [img, g.initializer('w', zeros(8 * 9), [8, 1, 3, 3]), g.initializer('b', zeros(8), [8])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    const [pool] = g.node('MaxPool', [conv], 1, { kernel_shape: [2, 2], strides: [2, 2] });
    const flat = g.op('Flatten', [g.op('Relu', [pool!])], { axis: 1 });
    const y = g.op('Gemm', [flat, g.initializer('fc', zeros(10 * 8 * 14 * 14), [10, 8 * 14 * 14]), g.initializer('fb', zeros(10), [10])], { transB: 1 });
    g.output(y, 'float32', ['batch', 10], 'logits');
    assert.deepEqual(countMacs(g.toModel()), { macs: 8 * 9 * 28 * 28 + 8 * 14 * 14 * 10, exact: true });
  });
});
