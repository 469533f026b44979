/**
 * Small float32 models for the quantizer specs, built with onnx-proto directly so the specs do not
 * depend on the graph builder, plus a helper that runs a model in a real onnxruntime session.
 */
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { Prng } from '@edgefleet/toolkit';

const DT = onnx.TensorProto.DataType;
const INT = onnx.AttributeProto.AttributeType.INT;
const FLOAT = onnx.AttributeProto.AttributeType.FLOAT;

/** Deterministic values for weights and inputs: the project's seeded generator. */
const rng = (seed: number): (() => number) => new Prng(seed).uniform();

/** Uniform He-style initialisation, bound sqrt(6 / fanIn). */
function weights(r: () => number, size: number, fanIn: number): Float32Array {
  const b = Math.sqrt(6 / fanIn);
  return Float32Array.from({ length: size }, () => (r() * 2 - 1) * b);
}

const tensor = (name: string, dims: number[], data: Float32Array): onnx.ITensorProto => ({
  name, dataType: DT.FLOAT, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
});
const value = (name: string, dims: Array<number | string>): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});
const ints = (name: string, v: number): onnx.IAttributeProto => ({ name, type: INT, i: v });
const float = (name: string, v: number): onnx.IAttributeProto => ({ name, type: FLOAT, f: v });

export interface ModelParts {
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
  input: [string, Array<number | string>];
  output: [string, Array<number | string>];
  opset?: number;
}

export function encodeModel(p: ModelParts): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'quantize-spec',
    opsetImport: [{ domain: '', version: p.opset ?? 17 }],
    graph: { name: 'g', node: p.nodes, initializer: p.initializers, input: [value(...p.input)], output: [value(...p.output)] },
  }).finish();
}

export interface MlpOptions {
  seed?: number;
  /** Gemm layers with PyTorch's [out, in] weights (transB=1) and alpha/beta instead of MatMul + Add. */
  gemm?: { alpha?: number; beta?: number };
  opset?: number;
}

/** x [batch, sizes[0]] → Dense+ReLU … → logits y [batch, last]. */
export function mlpModel(sizes: number[], opts: MlpOptions = {}): Uint8Array {
  const r = rng(opts.seed ?? 1);
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  let h = 'x';
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [fin, fout] = [sizes[l], sizes[l + 1]];
    const b = Float32Array.from({ length: fout }, () => (r() - 0.5) * 0.1);
    const out = l + 2 === sizes.length ? 'y' : `h${l}`;
    const pre = `z${l}`;
    if (opts.gemm) {
      const alpha = opts.gemm.alpha ?? 1;
      const beta = opts.gemm.beta ?? 1;
      initializers.push(tensor(`W${l}`, [fout, fin], weights(r, fin * fout, fin)), tensor(`b${l}`, [fout], b));
      nodes.push({ name: `gemm${l}`, opType: 'Gemm', input: [h, `W${l}`, `b${l}`], output: [pre], attribute: [ints('transB', 1), float('alpha', alpha), float('beta', beta)] });
    } else {
      initializers.push(tensor(`W${l}`, [fin, fout], weights(r, fin * fout, fin)), tensor(`b${l}`, [fout], b));
      nodes.push({ name: `matmul${l}`, opType: 'MatMul', input: [h, `W${l}`], output: [`m${l}`] });
      nodes.push({ name: `bias${l}`, opType: 'Add', input: [`m${l}`, `b${l}`], output: [pre] });
    }
    if (out === 'y') nodes.push({ opType: 'Identity', input: [pre], output: ['y'] });
    else nodes.push({ opType: 'Relu', input: [pre], output: [out] });
    h = out;
  }
  return encodeModel({ nodes, initializers, input: ['x', ['batch', sizes[0]]], output: ['y', ['batch', sizes[sizes.length - 1]]], opset: opts.opset });
}

/** x [batch, 1, 12, 12] → Conv 8×3×3 + ReLU → MaxPool 2 → Conv 16×3×3 + ReLU → Flatten → Gemm → y [batch, 10]. */
export function cnnModel(seed = 3): Uint8Array {
  const r = rng(seed);
  const nodes: onnx.INodeProto[] = [
    { name: 'conv1', opType: 'Conv', input: ['x', 'K1', 'c1'], output: ['a1'], attribute: [{ name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }] },
    { opType: 'Relu', input: ['a1'], output: ['r1'] },
    { opType: 'MaxPool', input: ['r1'], output: ['p1'], attribute: [{ name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 2] }, { name: 'strides', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 2] }] },
    { name: 'conv2', opType: 'Conv', input: ['p1', 'K2', 'c2'], output: ['a2'] },
    { opType: 'Relu', input: ['a2'], output: ['r2'] },
    { opType: 'Flatten', input: ['r2'], output: ['f'] },
    { name: 'fc', opType: 'Gemm', input: ['f', 'W', 'b'], output: ['y'], attribute: [ints('transB', 1)] },
  ];
  const initializers = [
    tensor('K1', [8, 1, 3, 3], weights(r, 72, 9)), tensor('c1', [8], weights(r, 8, 8)),
    tensor('K2', [16, 8, 3, 3], weights(r, 16 * 72, 72)), tensor('c2', [16], weights(r, 16, 16)),
    tensor('W', [10, 256], weights(r, 2560, 256)), tensor('b', [10], weights(r, 10, 10)),
  ];
  return encodeModel({ nodes, initializers, input: ['x', ['batch', 1, 12, 12]], output: ['y', ['batch', 10]] });
}

/**
 * A CNN as libs/distill exports its students and teacher (spec.ts `cnn`): x [batch, 1, 12, 12] → two blocks of
 * Conv 3×3 (same) → MaxPool 2 → Relu (8 then 16 filters) → Flatten → Gemm 144→32 → Relu → Gemm → Identity y [batch, 10].
 */
export function studentCnnModel(seed = 6): Uint8Array {
  const r = rng(seed);
  const pads = { name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] };
  const pool = [{ name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 2] }, { name: 'strides', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 2] }];
  const nodes: onnx.INodeProto[] = [
    { name: 'conv1', opType: 'Conv', input: ['x', 'K1', 'c1'], output: ['a1'], attribute: [pads] },
    { opType: 'MaxPool', input: ['a1'], output: ['p1'], attribute: pool },
    { opType: 'Relu', input: ['p1'], output: ['r1'] },
    { name: 'conv2', opType: 'Conv', input: ['r1', 'K2', 'c2'], output: ['a2'], attribute: [pads] },
    { opType: 'MaxPool', input: ['a2'], output: ['p2'], attribute: pool },
    { opType: 'Relu', input: ['p2'], output: ['r2'] },
    { opType: 'Flatten', input: ['r2'], output: ['f'] },
    { name: 'fc1', opType: 'Gemm', input: ['f', 'W1', 'b1'], output: ['z'], attribute: [ints('transB', 1)] },
    { opType: 'Relu', input: ['z'], output: ['h'] },
    { name: 'fc2', opType: 'Gemm', input: ['h', 'W2', 'b2'], output: ['logits'], attribute: [ints('transB', 1)] },
    { opType: 'Identity', input: ['logits'], output: ['y'] },
  ];
  const initializers = [
    tensor('K1', [8, 1, 3, 3], weights(r, 72, 9)), tensor('c1', [8], weights(r, 8, 8)),
    tensor('K2', [16, 8, 3, 3], weights(r, 16 * 72, 72)), tensor('c2', [16], weights(r, 16, 16)),
    tensor('W1', [32, 144], weights(r, 32 * 144, 144)), tensor('b1', [32], weights(r, 32, 32)),
    tensor('W2', [10, 32], weights(r, 320, 32)), tensor('b2', [10], weights(r, 10, 10)),
  ];
  return encodeModel({ nodes, initializers, input: ['x', ['batch', 1, 12, 12]], output: ['y', ['batch', 10]] });
}

/** A MatMul followed by a node of the given (possibly unknown) operator. */
export function modelWithOperator(opType: string, domain = '', weight = 0.5): Uint8Array {
  return encodeModel({
    nodes: [
      { name: 'mm', opType: 'MatMul', input: ['x', 'W'], output: ['m'] },
      { name: 'odd', opType, domain, input: ['m'], output: ['y'] },
    ],
    initializers: [tensor('W', [4, 4], new Float32Array(16).fill(weight))],
    input: ['x', ['batch', 4]],
    output: ['y', ['batch', 4]],
  });
}

export function randomInputs(n: number, shape: number[], seed: number): Float32Array {
  const r = rng(seed);
  // Centred on zero: all-positive inputs drive a random ReLU net to the same class every time.
  return Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
}

/** Runs input `x` [n, ...shape] through a real onnxruntime session; returns output `y`. */
export async function runModel(model: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, dims) });
    return out.y.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Share of rows whose argmax over `classes` columns agrees. */
export function argmaxAgreement(a: Float32Array, b: Float32Array, classes: number): number {
  const rows = a.length / classes;
  let same = 0;
  const argmax = (v: Float32Array, r: number): number => {
    let best = 0;
    for (let j = 1; j < classes; j++) if (v[r * classes + j] > v[r * classes + best]) best = j;
    return best;
  };
  for (let r = 0; r < rows; r++) if (argmax(a, r) === argmax(b, r)) same++;
  return same / rows;
}

export const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** Op types of a model's nodes, `domain::Op` outside the default domain. */
export const opTypes = (model: Uint8Array): string[] =>
  (onnx.ModelProto.decode(model).graph?.node ?? []).map((n) => (n.domain ? `${n.domain}::${n.opType}` : String(n.opType)));
