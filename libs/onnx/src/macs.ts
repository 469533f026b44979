import { onnx } from 'onnx-proto';
import { decodeModel } from './model-info';

/** Forward cost of one sample, read from the graph (no onnxruntime needed). */
export interface ModelCost {
  /** Multiply-accumulates per sample in MatMul / Gemm / Conv (and their quantized forms). */
  macs: number;
  /**
   * False when some shape could not be followed through the graph and a MatMul/Gemm was counted as one row per
   * sample (or a Conv could not be counted at all): the number is then a lower bound.
   */
  exact: boolean;
}

type Shape = number[] | undefined;

const MATMUL_OPS = new Set(['MatMul', 'MatMulInteger', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'FusedMatMul', 'QLinearMatMul']);
const CONV_OPS = new Set(['Conv', 'ConvInteger', 'FusedConv', 'QLinearConv']);
const POOL_OPS = new Set(['MaxPool', 'AveragePool', 'LpPool']);
/** Inputs that hold the data operand (QLinear ops interleave scales and zero points). */
const DATA_INPUTS: Record<string, [number, number]> = { QLinearMatMul: [0, 3], QLinearConv: [0, 3] };

const prod = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function attr(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}
const intAttr = (node: onnx.INodeProto, name: string, dflt: number): number => {
  const a = attr(node, name);
  return a?.i != null ? Number(a.i) : dflt;
};
const intsAttr = (node: onnx.INodeProto, name: string): number[] | undefined => {
  const a = attr(node, name);
  return a?.ints && a.ints.length > 0 ? a.ints.map(Number) : undefined;
};

function int64Values(t: onnx.ITensorProto): number[] | undefined {
  if (t.int64Data && t.int64Data.length > 0) return t.int64Data.map(Number);
  if (t.dataType === onnx.TensorProto.DataType.INT64 && t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData);
    return Array.from(new BigInt64Array(copy.buffer, 0, copy.byteLength / 8), Number);
  }
  return undefined;
}

/** Spatial output size of a sliding window (Conv, pooling) with ONNX's explicit pads. */
function windowOut(inDims: number[], kernel: number[], node: onnx.INodeProto): number[] {
  const n = kernel.length;
  const strides = intsAttr(node, 'strides') ?? Array(n).fill(1);
  const dil = intsAttr(node, 'dilations') ?? Array(n).fill(1);
  const autoPad = attr(node, 'auto_pad')?.s ? Buffer.from(attr(node, 'auto_pad')!.s!).toString() : 'NOTSET';
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return inDims.map((d, i) => Math.ceil(d / strides[i]!));
  const pads = intsAttr(node, 'pads') ?? Array(2 * n).fill(0);
  return inDims.map((d, i) => Math.floor((d + pads[i]! + pads[i + n]! - dil[i]! * (kernel[i]! - 1) - 1) / strides[i]!) + 1);
}

function reshape(input: number[], target: number[]): Shape {
  const out = target.map((d, i) => (d === 0 ? input[i]! : d));
  const known = out.filter((d) => d !== -1);
  if (out.length - known.length > 1) return undefined;
  if (out.includes(-1)) out[out.indexOf(-1)] = prod(input) / prod(known);
  return out;
}

/**
 * Counts the multiply-accumulates of one forward pass for one sample (symbolic dims, i.e. the batch, are 1).
 * Shapes are followed through the ops that change them in the models this project builds and imports
 * (MatMul, Gemm, Conv, pooling, Reshape, Flatten, Transpose); every other op passes its first input's shape on.
 * This is what latency prediction needs for uploaded models whose MACs were never recorded.
 */
export function countMacs(bytes: Uint8Array): ModelCost {
  const g = decodeModel(bytes).graph!;
  const shapes = new Map<string, Shape>();
  const consts = new Map<string, number[]>();
  for (const t of g.initializer ?? []) {
    shapes.set(t.name ?? '', (t.dims ?? []).map(Number));
    const v = int64Values(t);
    if (v) consts.set(t.name ?? '', v);
  }
  for (const i of g.input ?? []) {
    if (shapes.has(i.name ?? '')) continue;
    const dims = i.type?.tensorType?.shape?.dim ?? [];
    shapes.set(i.name ?? '', dims.map((d) => (d.dimValue != null && Number(d.dimValue) > 0 ? Number(d.dimValue) : 1)));
  }
  let macs = 0;
  let exact = true;
  for (const node of g.node ?? []) {
    const op = node.opType ?? '';
    const ins = node.input ?? [];
    const [ai, bi] = DATA_INPUTS[op] ?? [0, 1];
    const a = shapes.get(ins[ai] ?? '');
    const b = shapes.get(ins[bi] ?? '');
    let out: Shape = a;
    if (op === 'Constant') {
      const t = attr(node, 'value')?.t;
      out = t ? (t.dims ?? []).map(Number) : undefined;
      const v = t ? int64Values(t) : undefined;
      if (v) consts.set(node.output?.[0] ?? '', v);
    } else if (MATMUL_OPS.has(op) || op === 'Gemm') {
      const transA = op === 'Gemm' && intAttr(node, 'transA', 0) === 1;
      const transB = op === 'Gemm' && intAttr(node, 'transB', 0) === 1;
      if (b && b.length >= 2) {
        const k = transB ? b[b.length - 1]! : b[b.length - 2]!;
        const n = transB ? b[b.length - 2]! : b[b.length - 1]!;
        let rows: number;
        if (a && a.length >= 2) {
          rows = transA ? a[a.length - 1]! : prod(a.slice(0, -1));
          out = transA ? [a[a.length - 1]!, n] : [...a.slice(0, -1), n];
        } else {
          rows = 1;
          exact = false;
          out = [1, n];
        }
        macs += rows * k * n;
      } else {
        exact = false;
        out = undefined;
      }
    } else if (CONV_OPS.has(op)) {
      if (a && a.length >= 3 && b && b.length === a.length) {
        const spatial = windowOut(a.slice(2), b.slice(2), node);
        out = [a[0]!, b[0]!, ...spatial];
        macs += a[0]! * b[0]! * b[1]! * prod(b.slice(2)) * prod(spatial);
      } else {
        exact = false;
        out = undefined;
      }
    } else if (POOL_OPS.has(op)) {
      const k = intsAttr(node, 'kernel_shape');
      out = a && k ? [...a.slice(0, 2), ...windowOut(a.slice(2), k, node)] : undefined;
    } else if (op === 'GlobalAveragePool' || op === 'GlobalMaxPool') {
      out = a ? [...a.slice(0, 2), ...a.slice(2).map(() => 1)] : undefined;
    } else if (op === 'Reshape') {
      const target = consts.get(ins[1] ?? '');
      out = a && target ? reshape(a, target) : undefined;
    } else if (op === 'Flatten') {
      const axis = intAttr(node, 'axis', 1);
      out = a ? [prod(a.slice(0, axis)), prod(a.slice(axis))] : undefined;
    } else if (op === 'Transpose') {
      const perm = intsAttr(node, 'perm');
      out = a ? (perm ?? a.map((_, i) => a.length - 1 - i)).map((p) => a[p]!) : undefined;
    } else if (op === 'Add' || op === 'Mul' || op === 'Sub' || op === 'Div') {
      // Broadcasting: the operand of higher rank carries the shape (bias adds, scalings).
      out = a && b ? (b.length > a.length ? b : a) : (a ?? b);
    }
    for (const o of node.output ?? []) shapes.set(o, undefined);
    if (node.output?.[0]) shapes.set(node.output[0], out);
  }
  return { macs, exact };
}
