/**
 * Tiny ONNX models built in code for the specs (onnx-proto is a root dev dependency; the agent itself
 * never builds models). Not exported from index.ts.
 */
import { onnx } from 'onnx-proto';

const DTYPES: Record<string, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13,
};

type Dim = number | string;

const valueInfo = (name: string, dtype: string, dims: Dim[]): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: DTYPES[dtype], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

function model(graph: onnx.IGraphProto): Buffer {
  const m = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'edgefleet-agent-tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph,
  });
  return Buffer.from(onnx.ModelProto.encode(m).finish());
}

function floatTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  return { name, dims, dataType: 1, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** y = x·W + b with x [batch, inputs]; W given or random (seeded). */
export function linearModel(opts: { inputs: number; outputs: number; batch?: Dim; weights?: Float32Array; seed?: number }): Buffer {
  const { inputs, outputs } = opts;
  let s = opts.seed ?? 1;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const w = opts.weights ?? Float32Array.from({ length: inputs * outputs }, rnd);
  const batch = opts.batch ?? 'batch';
  return model({
    name: 'linear',
    node: [
      { opType: 'MatMul', input: ['x', 'W'], output: ['xw'], name: 'mm' },
      { opType: 'Add', input: ['xw', 'b'], output: ['logits'], name: 'add' },
    ],
    initializer: [floatTensor('W', [inputs, outputs], w), floatTensor('b', [outputs], new Float32Array(outputs))],
    input: [valueInfo('x', 'float32', [batch, inputs])],
    output: [valueInfo('logits', 'float32', [batch, outputs])],
  });
}

/** Identity classifier: logits = x, so the label of a sample is the argmax of its features. */
export const identityClassifier = (classes: number, batch: Dim = 'batch') => {
  const w = new Float32Array(classes * classes);
  for (let i = 0; i < classes; i++) w[i * classes + i] = 1;
  return linearModel({ inputs: classes, outputs: classes, batch, weights: w });
};

/** One input of `dtype` passed through Identity; for input-synthesis tests of every dtype. */
export function identityModel(dtype: string, dims: Dim[]): Buffer {
  return model({
    name: `identity_${dtype}`,
    node: [{ opType: 'Identity', input: ['in'], output: ['out'], name: 'id' }],
    input: [valueInfo('in', dtype, dims)],
    output: [valueInfo('out', dtype, dims)],
  });
}

/** A model with two inputs of different dtypes: float features and an int64 token id (Gather). */
export function mixedInputsModel(): Buffer {
  return model({
    name: 'mixed',
    node: [
      { opType: 'Gather', input: ['table', 'ids'], output: ['emb'], name: 'g' },
      { opType: 'Add', input: ['emb', 'x'], output: ['y'], name: 'add' },
    ],
    initializer: [floatTensor('table', [4, 3], new Float32Array(12).fill(0.5))],
    input: [valueInfo('ids', 'int64', ['n']), valueInfo('x', 'float32', ['n', 3])],
    output: [valueInfo('y', 'float32', ['n', 3])],
  });
}

/** Bytes that are not an ONNX model: onnxruntime refuses to load them. */
export const notAModel = () => Buffer.from('this is not an onnx model, just bytes '.repeat(100));

/** A recurrent counter: `count` [1] is fed back from `countN` = count + 1; `seen` = count, `x` is ignored. */
export function counterModel(): Buffer {
  return model({
    name: 'counter',
    node: [
      { opType: 'Add', input: ['count', 'one'], output: ['countN'], name: 'inc' },
      { opType: 'Identity', input: ['count'], output: ['seen'], name: 'id' },
    ],
    initializer: [floatTensor('one', [1], new Float32Array([1]))],
    input: [valueInfo('x', 'float32', ['batch', 2]), valueInfo('count', 'float32', [1])],
    output: [valueInfo('seen', 'float32', [1]), valueInfo('countN', 'float32', [1])],
  });
}

/**
 * A sparse-layout text model (the featurizer's `sparse` layout): logits = Σ weights·W[indices], inputs int32
 * `indices` and float32 `weights` [batch, n] — the embedding-bag form of `linearModel` with the same W.
 */
export function sparseLinearModel(buckets: number, classes: number, w: Float32Array): Buffer {
  const int64 = (name: string, v: number[]): onnx.ITensorProto => ({ name, dims: [v.length], dataType: 7, int64Data: v });
  return model({
    name: 'sparse-linear',
    node: [
      { opType: 'Gather', input: ['W', 'indices'], output: ['rows'], name: 'gather', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'Unsqueeze', input: ['weights', 'axis1'], output: ['w3'], name: 'unsqueeze' },
      { opType: 'MatMul', input: ['w3', 'rows'], output: ['sum'], name: 'mm' },
      { opType: 'Squeeze', input: ['sum', 'axis1'], output: ['logits'], name: 'squeeze' },
    ],
    initializer: [floatTensor('W', [buckets, classes], w), int64('axis1', [1])],
    input: [valueInfo('indices', 'int32', ['batch', 'n']), valueInfo('weights', 'float32', ['batch', 'n'])],
    output: [valueInfo('logits', 'float32', ['batch', classes])],
  });
}
