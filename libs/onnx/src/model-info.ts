import { onnx } from 'onnx-proto';
import { DType, fromOnnxType } from './dtype';
import { OnnxModelError } from './errors';
import { Dim } from './graph-builder';

export interface TensorInfo {
  name: string;
  dtype: DType | `unknown(${number})`;
  /** Fixed sizes as numbers, symbolic ones (batch) as their name, unknown as `'?'`. */
  dims: Dim[];
}

export interface ModelInfo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Distinct op types, `domain::Op` for non-default domains. */
  opTypes: string[];
  /** Elements in all initializers that are floating point (weights, biases) plus quantized weights. */
  parameterCount: number;
  opsets: Record<string, number>;
}

export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  try {
    const m = onnx.ModelProto.decode(bytes);
    if (!m.graph) throw new OnnxModelError('model has no graph');
    return m;
  } catch (err) {
    if (err instanceof OnnxModelError) throw err;
    throw new OnnxModelError(`not an ONNX model: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const tensorInfo = (v: onnx.IValueInfoProto): TensorInfo => {
  const tt = v.type?.tensorType;
  return {
    name: v.name ?? '',
    dtype: fromOnnxType(tt?.elemType ?? 0),
    dims: (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? Number(d.dimValue) : '?')),
  };
};

const elementCount = (t: onnx.ITensorProto): number => (t.dims ?? []).reduce<number>((a, b) => a * Number(b), 1);

/** Reads what a caller needs to know about a model without running it. */
export function loadModelInfo(bytes: Uint8Array): ModelInfo {
  const m = decodeModel(bytes);
  const g = m.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const countable = new Set<number>([
    onnx.TensorProto.DataType.FLOAT, onnx.TensorProto.DataType.DOUBLE, onnx.TensorProto.DataType.FLOAT16,
    onnx.TensorProto.DataType.BFLOAT16, onnx.TensorProto.DataType.INT8, onnx.TensorProto.DataType.UINT8,
  ]);
  return {
    // Older exporters list initializers among the inputs; they are not inputs a caller feeds.
    inputs: (g.input ?? []).filter((i) => !inits.has(i.name)).map(tensorInfo),
    outputs: (g.output ?? []).map(tensorInfo),
    opTypes: [...new Set((g.node ?? []).map((n) => (n.domain ? `${n.domain}::${n.opType}` : String(n.opType))))].sort(),
    // Scalars (zero points, scales, hyper-parameters) are not parameters.
    parameterCount: (g.initializer ?? [])
      .filter((t) => countable.has(t.dataType ?? 0) && elementCount(t) > 1)
      .reduce((a, t) => a + elementCount(t), 0),
    opsets: Object.fromEntries((m.opsetImport ?? []).map((o) => [o.domain ?? '', Number(o.version)])),
  };
}

export interface FloatInitializer {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** Decodes a float32 initializer from raw bytes or the float_data field. */
export function initializerToFloat32(t: onnx.ITensorProto): Float32Array {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) {
    throw new OnnxModelError(`initializer ${t.name} is ${fromOnnxType(t.dataType ?? 0)}, not float32`);
  }
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData); // aligned copy: protobuf slices are not 4-byte aligned
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** All float32 initializers of a model, by name. */
export function readFloatInitializers(bytes: Uint8Array): Map<string, FloatInitializer> {
  const g = decodeModel(bytes).graph!;
  const out = new Map<string, FloatInitializer>();
  for (const t of g.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT) continue;
    out.set(t.name ?? '', { name: t.name ?? '', dims: (t.dims ?? []).map(Number), data: initializerToFloat32(t) });
  }
  return out;
}
