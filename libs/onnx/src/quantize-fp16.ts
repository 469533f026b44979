/**
 * fp16 weight storage: halves a model's size while callers keep feeding and reading float32.
 *
 * Each float32 initializer becomes a float16 initializer followed by Cast(to=float), so every op still
 * computes in float32. A full fp16 graph was not chosen: onnxruntime's CPU provider accepted fp16
 * MatMul/Gemm/Conv/Relu/MaxPool/Add in a probe, but it does so partly by inserting its own Casts around
 * ops that lack fp16 kernels, so it is not faster on CPU, and accuracy would depend on the device's
 * kernels. Storage-only fp16 gives the same answer everywhere, to fp16 rounding of the weights.
 */
import { onnx } from 'onnx-proto';
import { GraphEdit } from './quantize-graph';
import { assertRunnableOperators } from './quantize-ops';
import { QuantizationError } from './quantize-error';
import { dimsOf, float16Tensor, isFloatTensor, readFloats } from './quantize-tensor';

export interface Fp16Options {
  /**
   * Initializers with fewer elements stay float32 (default 16): they save nothing and are often
   * constants such as epsilons that fp16 would round to zero.
   */
  minElements?: number;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const FP16_MAX = 65504;

/** IEEE binary16 bits of `v`, rounded to nearest even (overflow → ±Infinity, NaN kept). */
export function float32ToFloat16Bits(v: number): number {
  F32[0] = v;
  const x = U32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const CALLER = 'convertToFp16';

/** Stores float32 weights as float16 (see the file comment); returns the new model's bytes. */
export function convertToFp16(model: Uint8Array, opts: Fp16Options = {}): Uint8Array {
  const minElements = opts.minElements ?? 16;
  const decoded = onnx.ModelProto.decode(model);
  const graph = decoded.graph;
  if (!graph) throw new QuantizationError('', `${CALLER}: model has no graph`);
  assertRunnableOperators(graph, CALLER);
  const edit = new GraphEdit(decoded, graph);
  const converted = new Set<string>();
  const kept: onnx.ITensorProto[] = [];
  for (const t of graph.initializer ?? []) {
    const data = isFloatTensor(t) ? readFloats(t) : undefined;
    // Values beyond fp16's range would become Infinity: such a tensor stays float32.
    if (!data || data.length < minElements || data.some((v) => Math.abs(v) > FP16_MAX)) {
      kept.push(t);
      continue;
    }
    const name = t.name ?? '';
    const half = edit.fresh(`${name}_fp16`);
    kept.push(float16Tensor(half, dimsOf(t), Uint16Array.from(data, float32ToFloat16Bits)));
    edit.addPrologueNode({
      name: edit.fresh(`${name}_Cast`),
      opType: 'Cast',
      input: [half],
      output: [name],
      attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT }],
    });
    converted.add(name);
  }
  graph.initializer = kept;
  // The converted name is now a node output, so it can no longer be an (overridable) graph input.
  graph.input = (graph.input ?? []).filter((i) => !converted.has(i.name ?? ''));
  edit.finish();
  return onnx.ModelProto.encode(decoded).finish();
}

