/**
 * Static int8 quantization (QDQ): weights int8 per output channel, activations uint8 with scales fixed from
 * calibration rows, in the layouts onnxruntime's QDQ transformer turns into its integer kernels:
 *
 * - Conv: x → Q → DQ, W(int8) → DQ (axis 0), b(int32 at s_x·s_w) → DQ, Conv → Q → DQ → readers. Fused to
 *   QLinearConv; activations stay uint8 from one convolution to the next (MaxPool and reshapes in between run
 *   on uint8: they reuse the upstream scale). A Relu reached from an op's output through single-reader MaxPool /
 *   reshapes (which commute with it) is dropped: the output is quantized over the Relu's range [0, max] with zero
 *   point 0, where uint8 saturation is the Relu (students run Conv → MaxPool → Relu). A Conv with dot products
 *   shorter than MIN_CONV_DEPTH (a first layer on one-channel images) stays float.
 * - Gemm: first normalized to Gemm(x, W [K, N], C [N]) with transA = transB = 0, alpha and beta folded
 *   (`normalizeGemms`); weight per column (axis 1), bias int32 at s_x·s_w like a Conv's: fused to com.microsoft
 *   QGemm, bias and absorbed Relu inside the one kernel. onnxruntime only fuses a QDQ Gemm whose bias is an int32
 *   DequantizeLinear; with a float bias it stays a float Gemm on weights dequantized every run (16 ms instead of
 *   0.16 ms for 784-1024-1024-10). A Gemm or MatMul whose output only reaches graph outputs (through Identity or
 *   reshapes) keeps it float: QGemm / MatMulIntegerToFloat write float directly, a Q → DQ pair would only cost.
 * - MatMul (+ Add of a constant bias): weight [K, N] per column: fused to QLinearMatMul (+ QLinearAdd).
 *
 * Activation ranges come from `calibrateInt8` (calibrate.ts): min/max, or a percentile to ignore outliers.
 * Standard ONNX ops only (opset ≥ 13 for per-axis DequantizeLinear); older models are refused.
 */
import { onnx } from 'onnx-proto';
import { QuantizationError } from './quantize-error';
import { GraphEdit } from './quantize-graph';
import { assertRunnableOperators, operatorName } from './quantize-ops';
import { dimsOf, floatTensor, int8Tensor, isFloatTensor, quantizeSymmetric, readFloats, sizeOf, transpose2d } from './quantize-tensor';
import type { QuantizeReport } from './quantize';

const CALLER = 'quantizeInt8Static';
const DT = onnx.TensorProto.DataType;
const MIN_OPSET = 13;

/** The observed range of one float tensor over the calibration rows. */
export interface ActivationRange {
  min: number;
  max: number;
}

export interface QuantizeStaticOptions {
  /** One weight scale per output channel (default true); false = one per weight tensor. */
  perChannel?: boolean;
}

/** uint8 affine parameters covering [min(0, lo), max(0, hi)]: 0 must be exact (padding, Relu). */
export function uint8Params(r: ActivationRange): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  if (!(hi > lo)) return { scale: 1, zeroPoint: 0 };
  const scale = (hi - lo) / 255;
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-lo / scale))) };
}

/** The quantizable ops and the Relu each may absorb: what calibration must observe. */
export interface StaticPlanItem {
  node: onnx.INodeProto;
  /** 'weighted': a MatMul / Conv with a constant weight; 'bias': the Add of a constant to a weighted op's output. */
  kind: 'weighted' | 'bias';
  /** Activation input (input 0). */
  input: string;
  /**
   * The tensor whose range quantizes the output: the absorbed Relu's output, else the op's own. Undefined when
   * the output stays float (MatMul / Gemm, and any op whose output is a graph output).
   */
  output?: string;
  /** The absorbed Relu, if any. */
  relu?: onnx.INodeProto;
}

const QUANTIZABLE = new Set(['MatMul', 'Gemm', 'Conv']);
/** Ops whose integer kernel can write a float output (QGemm, MatMulIntegerToFloat); QLinearConv cannot. */
const FLOAT_OUTPUT = new Set(['MatMul', 'Gemm']);

/**
 * A Conv whose dot products are shorter than this (input channels per group × kernel area) stays float: a first
 * convolution on one-channel images (1 × 3 × 3 = 9) ran slower as QLinearConv than as onnxruntime's float Conv.
 */
const MIN_CONV_DEPTH = 32;
const convDepth = (w: onnx.ITensorProto): number => sizeOf(dimsOf(w).slice(1));

// Ops through which a uint8 tensor passes unchanged in value set; their output reuses the input's parameters so
// onnxruntime can drop the DQ → op → Q around them (MaxPool, reshapes).
const PASS_THROUGH = new Set(['MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity']);


function attr(n: onnx.INodeProto, name: string, fallback: number): number {
  const a = (n.attribute ?? []).find((x) => x.name === name);
  if (!a) return fallback;
  return a.type === onnx.AttributeProto.AttributeType.FLOAT ? Number(a.f) : Number(a.i);
}

/** A Gemm as normalizeGemms leaves it: no transposes, alpha = beta = 1. */
const isPlainGemm = (n: onnx.INodeProto): boolean =>
  attr(n, 'transA', 0) === 0 && attr(n, 'transB', 0) === 0 && attr(n, 'alpha', 1) === 1 && attr(n, 'beta', 1) === 1;

/** Which nodes become integer ops, and which tensors calibration has to observe for them. */
export function planStatic(graph: onnx.IGraphProto): StaticPlanItem[] {
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const readers = new Map<string, onnx.INodeProto[]>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) readers.set(i, [...(readers.get(i) ?? []), n]);
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const plan: StaticPlanItem[] = [];
  const quantizedOut = new Set<string>();
  /** The tensor that quantizes `out`: the Relu's output when a Relu is its only reader (absorbed), else itself. */
  const outputOf = (kind: StaticPlanItem['kind'], n: onnx.INodeProto, input: string): void => {
    const out = n.output![0]!;
    if (outputs.has(out)) {
      plan.push({ node: n, kind, input });
      return;
    }
    // Follow single readers through ops that commute with Relu (max-pooling, reshapes) to a Relu to absorb.
    let relu: onnx.INodeProto | undefined;
    let toOutput = false;
    for (let t = out, hops = 0; hops < 4; hops++) {
      if (outputs.has(t)) {
        toOutput = true;
        break;
      }
      const r = readers.get(t) ?? [];
      const next = r.length === 1 && !r[0]!.domain ? r[0]! : undefined;
      if (!next || (next.opType !== 'Relu' && !PASS_THROUGH.has(next.opType ?? ''))) break;
      if (next.opType === 'Relu') {
        if (!outputs.has(next.output![0]!)) relu = next;
        break;
      }
      t = next.output![0]!;
    }
    if (toOutput && kind === 'weighted' && FLOAT_OUTPUT.has(n.opType ?? '')) {
      plan.push({ node: n, kind, input });
      return;
    }
    plan.push({ node: n, kind, input, output: relu ? relu.output![0]! : out, relu });
    quantizedOut.add(out);
  };
  for (const n of graph.node ?? []) {
    if (n.domain) continue;
    const [a, b] = n.input ?? [];
    const w = inits.get(b ?? '');
    if (QUANTIZABLE.has(n.opType ?? '') && w && isFloatTensor(w) && !inits.has(a ?? '') && !(n.opType === 'Conv' && convDepth(w) < MIN_CONV_DEPTH) && !(n.opType === 'Gemm' && !isPlainGemm(n))) {
      outputOf('weighted', n, a!);
    } else if (n.opType === 'Add' && quantizedOut.has(a ?? '') && (readers.get(a!) ?? []).length === 1 && w && isFloatTensor(w)) {
      // A bias: Add(DQ(product), DQ(uint8 constant)) → Q becomes QLinearAdd, so values stay uint8 between layers.
      outputOf('bias', n, a!);
    }
  }
  return plan;
}

/** Tensors whose ranges calibration must supply for `model`. */
export function calibrationTensors(model: Uint8Array): string[] {
  const graph = normalizeGemms(onnx.ModelProto.decode(model)).graph!;
  const names = new Set<string>();
  for (const p of planStatic(graph)) {
    names.add(p.input);
    if (p.output) names.add(p.output);
  }
  return [...names];
}

interface QParams {
  scale: string;
  zeroPoint: string;
  scaleValue: number;
}

/**
 * Static QDQ int8 of `model` with activation ranges from calibration (see the file comment). Throws a
 * QuantizationError naming the tensor when a range is missing, and for layouts the rewrite cannot convert.
 */
export function quantizeInt8Static(model: Uint8Array, ranges: ReadonlyMap<string, ActivationRange>, opts: QuantizeStaticOptions = {}): QuantizeReport {
  const decoded = normalizeGemms(onnx.ModelProto.decode(model));
  const graph = decoded.graph!;
  assertRunnableOperators(graph, CALLER);
  const edit = new GraphEdit(decoded, graph);
  if (edit.opset < MIN_OPSET) throw new QuantizationError('', `${CALLER}: opset ${edit.opset} < ${MIN_OPSET} has no per-axis QuantizeLinear; use the dynamic format`);
  const perChannel = opts.perChannel ?? true;
  const report: QuantizeReport = { model, quantized: [], keptFloat: [] };
  const plan = new Map(planStatic(graph).map((p) => [p.node, p]));
  const dropped = new Set<onnx.INodeProto>([...plan.values()].flatMap((p) => (p.relu ? [p.relu] : [])));
  /** An absorbed Relu's readers read its input instead. */
  const rename = new Map([...dropped].map((r) => [r.output![0]!, r.input![0]!]));
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  /** Quantization parameters of tensors already made uint8 (name of the float tensor → params). */
  const params = new Map<string, QParams>();
  /** Float tensor → its DequantizeLinear output, so several readers share one Q/DQ pair. */
  const dequantized = new Map<string, string>();
  const nodes: onnx.INodeProto[] = [];

  const rangeOf = (t: string): ActivationRange => {
    const r = ranges.get(t);
    if (!r || !Number.isFinite(r.min) || !Number.isFinite(r.max)) {
      throw new QuantizationError('', `${CALLER}: no calibrated range for tensor "${t}" (run calibrateInt8 on this model)`);
    }
    return r;
  };
  const makeParams = (base: string, r: ActivationRange): QParams => {
    const { scale, zeroPoint } = uint8Params(r);
    const s = edit.addInitializer(floatTensor(edit.fresh(`${base}_scale`), [], Float32Array.of(scale)));
    const z = edit.addInitializer({ name: edit.fresh(`${base}_zero_point`), dataType: DT.UINT8, dims: [], rawData: Uint8Array.of(zeroPoint) });
    return { scale: s, zeroPoint: z, scaleValue: Math.fround(scale) };
  };
  /** Parameters for an activation: inherited through pass-through ops from an already quantized tensor, else calibrated. */
  const paramsFor = (t: string): QParams => {
    const known = params.get(t);
    if (known) return known;
    let src = producer.get(t);
    while (src && PASS_THROUGH.has(src.opType ?? '') && !src.domain) {
      const up = params.get(src.input![0]!);
      if (up) return up;
      src = producer.get(src.input![0]!);
    }
    return makeParams(t, rangeOf(t));
  };
  const qdq = (t: string, p: QParams, out?: string): string => {
    const q = edit.fresh(`${t}_quantized`);
    const dq = out ?? edit.fresh(`${t}_dequantized`);
    nodes.push({ name: edit.fresh(`${t}_QuantizeLinear`), opType: 'QuantizeLinear', input: [t, p.scale, p.zeroPoint], output: [q] });
    nodes.push({ name: edit.fresh(`${t}_DequantizeLinear`), opType: 'DequantizeLinear', input: [q, p.scale, p.zeroPoint], output: [dq] });
    return dq;
  };
  const dq = (q: string, scale: string, axis: number | undefined, base: string, zeroPoint?: string): string => {
    const out = edit.fresh(`${base}_dequantized`);
    edit.addPrologueNode({
      name: edit.fresh(`${base}_DequantizeLinear`), opType: 'DequantizeLinear', input: zeroPoint ? [q, scale, zeroPoint] : [q, scale], output: [out],
      attribute: axis === undefined ? [] : [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: axis }],
    });
    return out;
  };

  /** Output: quantized over its own range, or over the absorbed Relu's (zero point 0 clamps like the Relu). */
  const quantizeOutput = (n: onnx.INodeProto, item: StaticPlanItem): void => {
    if (!item.output) return;
    const out = n.output![0]!;
    const pOut = makeParams(item.output, rangeOf(item.output));
    const floatOut = edit.fresh(`${out}_float`);
    n.output = [floatOut];
    params.set(out, pOut);
    // The DQ takes the name readers already use; ops between it and an absorbed Relu inherit its parameters.
    dequantized.set(out, qdq(floatOut, pOut, out));
  };

  for (const n of graph.node ?? []) {
    if (dropped.has(n)) continue;
    n.input = (n.input ?? []).map((i) => rename.get(i) ?? i);
    const item = plan.get(n);
    if (!item) {
      nodes.push(n);
      continue;
    }
    const label = n.name || operatorName(n);
    const input = rename.get(item.input) ?? item.input;
    if (item.kind === 'bias') {
      const bT = edit.initializers.get(n.input![1]!)!;
      const b = readFloats(bT);
      let lo = 0;
      let hi = 0;
      for (const v of b) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      const pB = makeParams(n.input![1]!, { min: lo, max: hi });
      const { scale, zeroPoint } = uint8Params({ min: lo, max: hi });
      const bq = Uint8Array.from(b, (v) => Math.max(0, Math.min(255, Math.round(v / scale) + zeroPoint)));
      const qB = edit.addInitializer({ name: edit.fresh(`${n.input![1]}_uint8`), dataType: DT.UINT8, dims: dimsOf(bT), rawData: bq });
      const bDq = edit.fresh(`${n.input![1]}_dequantized`);
      edit.addPrologueNode({ name: edit.fresh(`${n.input![1]}_DequantizeLinear`), opType: 'DequantizeLinear', input: [qB, pB.scale, pB.zeroPoint], output: [bDq] });
      n.input = [dequantized.get(input) ?? input, bDq];
      nodes.push(n);
      quantizeOutput(n, item);
      continue;
    }
    const wName = n.input![1]!;
    const wT = edit.initializers.get(wName)!;
    const dims = dimsOf(wT);
    const refuse = (why: string): never => {
      throw new QuantizationError(operatorName(n), `${CALLER}: ${operatorName(n)} node "${n.name ?? ''}": ${why}; refusing the model`);
    };
    // Input activation: one Q/DQ pair per tensor, shared by its readers.
    const pIn = paramsFor(input);
    params.set(input, pIn);
    let inDq = dequantized.get(input);
    if (!inDq) {
      inDq = qdq(input, pIn);
      dequantized.set(input, inDq);
    }
    const weights = (data: Float32Array, wDims: number[], axis: number): { name: string; scales: Float32Array } => {
      const { q, scales } = quantizeSymmetric(data, wDims, perChannel ? axis : undefined);
      const qW = edit.addInitializer(int8Tensor(edit.fresh(`${wName}_int8`), wDims, q));
      const shape = perChannel ? [scales.length] : [];
      const sW = edit.addInitializer(floatTensor(edit.fresh(`${wName}_scale`), shape, scales));
      // An explicit int8 zero point: without one onnxruntime 1.30 does not fuse a QDQ Gemm into QGemm.
      const zW = edit.addInitializer(int8Tensor(edit.fresh(`${wName}_zero_point`), shape, new Int8Array(scales.length)));
      return { name: dq(qW, sW, perChannel ? axis : undefined, wName, zW), scales };
    };
    /** A Conv bias as float32 values, one per output channel. */
    const biasOf = (bName: string, channels: number): Float32Array => {
      const bT = edit.initializers.get(bName);
      const bDims = bT ? dimsOf(bT) : [];
      if (!bT || !isFloatTensor(bT) || sizeOf(bDims) !== channels || bDims.filter((d) => d !== 1).length > 1) {
        return refuse(`bias ${bName} is not a float32 constant of ${channels} values`);
      }
      return readFloats(bT);
    };

    /** int32 at scale s_x · s_w per output channel, zero point 0: what QLinearConv / QGemm add to their accumulators. */
    const int32Bias = (bName: string, channels: number, wScales: Float32Array): string => {
      const b = biasOf(bName, channels);
      const bScales = Float32Array.from({ length: channels }, (_, c) => pIn.scaleValue * wScales[perChannel ? c : 0]!);
      const bq = Int32Array.from(b, (v, c) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / bScales[c]!))));
      const qB = edit.addInitializer({ name: edit.fresh(`${bName}_int32`), dataType: DT.INT32, dims: [channels], rawData: new Uint8Array(bq.buffer) });
      const sB = edit.addInitializer(floatTensor(edit.fresh(`${bName}_scale`), [channels], bScales));
      return dq(qB, sB, 0, bName);
    };

    if (n.opType === 'Conv') {
      if (dims.length < 3) refuse(`weight ${wName} has shape [${dims.join(', ')}], expected [M, C/group, k…]`);
      const w = weights(readFloats(wT), dims, 0);
      const bName = n.input![2];
      n.input = bName ? [inDq, w.name, int32Bias(bName, dims[0]!, w.scales)] : [inDq, w.name];
    } else if (n.opType === 'Gemm') {
      // Normalized (normalizeGemms): weight [K, N], bias [N].
      const w = weights(readFloats(wT), dims, 1);
      const bName = n.input![2];
      n.input = bName ? [inDq, w.name, int32Bias(bName, dims[1]!, w.scales)] : [inDq, w.name];
    } else {
      // MatMul: weight [K, N], quantized per column.
      if (dims.length !== 2) refuse(`weight ${wName} has shape [${dims.join(', ')}], only 2-D [K, N] weights are handled`);
      n.input = [inDq, weights(readFloats(wT), dims, 1).name];
    }
    nodes.push(n);
    report.quantized.push(label);
    quantizeOutput(n, item);
  }
  graph.node = nodes;
  edit.finish();
  report.model = onnx.ModelProto.encode(decoded).finish();
  return report;
}

/**
 * Rewrites every Gemm with a constant 2-D weight and transA = 0 as Gemm(x, alpha·W as [K, N], beta·C as [N]) without
 * attributes, in place, keeping its name and output: the form quantizeInt8Static turns into QGemm. Calibration and
 * quantization both start from here.
 */
export function normalizeGemms(model: onnx.IModelProto): onnx.IModelProto {
  const graph = model.graph;
  if (!graph) throw new QuantizationError('', `${CALLER}: model has no graph`);
  const edit = new GraphEdit(model, graph);
  for (const n of graph.node ?? []) {
    const wT = edit.initializers.get(n.input?.[1] ?? '');
    if (n.domain || n.opType !== 'Gemm' || !wT || !isFloatTensor(wT) || dimsOf(wT).length !== 2 || attr(n, 'transA', 0) !== 0) continue;
    const dims = dimsOf(wT);
    const transB = attr(n, 'transB', 0) !== 0;
    const [k, cols] = transB ? [dims[1]!, dims[0]!] : dims;
    const alpha = attr(n, 'alpha', 1);
    let w = transB ? transpose2d(readFloats(wT), dims[0]!, dims[1]!) : readFloats(wT);
    if (alpha !== 1) w = w.map((v) => v * alpha);
    const inputs = [n.input![0]!, edit.addInitializer(floatTensor(edit.fresh(`${wT.name}_kn`), [k!, cols!], w))];
    const cName = n.input![2];
    if (cName) {
      const cT = edit.initializers.get(cName);
      const cDims = cT ? dimsOf(cT) : [];
      const size = sizeOf(cDims);
      if (!cT || !isFloatTensor(cT) || cDims.length > 2 || (cDims.length === 2 && cDims[0] !== 1) || (size !== cols && size !== 1)) {
        throw new QuantizationError('Gemm', `${CALLER}: Gemm node "${n.name ?? ''}": bias ${cName} is not a constant broadcastable per column ([${cols}], [1, ${cols}] or a scalar); refusing the model`);
      }
      const c = readFloats(cT);
      const beta = attr(n, 'beta', 1);
      inputs.push(edit.addInitializer(floatTensor(edit.fresh(`${cName}_bias`), [cols!], Float32Array.from({ length: cols! }, (_, j) => beta * c[size === 1 ? 0 : j]!))));
    }
    n.input = inputs;
    n.attribute = [];
  }
  edit.finish();
  return model;
}
