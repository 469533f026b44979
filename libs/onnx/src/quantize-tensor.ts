/** Tensor-level helpers for the quantizers: reading float weights, symmetric int8, making initializers. */
import { onnx } from 'onnx-proto';

const DT = onnx.TensorProto.DataType;

export const dimsOf = (t: onnx.ITensorProto): number[] => (t.dims ?? []).map((d) => Number(d));
export const sizeOf = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

export const isFloatTensor = (t: onnx.ITensorProto): boolean =>
  t.dataType === DT.FLOAT && t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL;

/** The values of a float32 tensor stored as raw little-endian bytes or in float_data. */
export function readFloats(t: onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    // Copy into a fresh buffer: protobuf hands out unaligned views (Buffers, whose slice() is no copy).
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

const bytesOf = (a: Float32Array | Int8Array | Uint16Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export const floatTensor = (name: string, dims: number[], data: Float32Array): onnx.ITensorProto =>
  ({ name, dataType: DT.FLOAT, dims, rawData: bytesOf(data) });

export const int8Tensor = (name: string, dims: number[], data: Int8Array): onnx.ITensorProto =>
  ({ name, dataType: DT.INT8, dims, rawData: bytesOf(data) });

export const float16Tensor = (name: string, dims: number[], bits: Uint16Array): onnx.ITensorProto =>
  ({ name, dataType: DT.FLOAT16, dims, rawData: bytesOf(bits) });

export interface Int8Weights {
  q: Int8Array;
  /** One scale per slice along `axis`, or a single one for per-tensor. */
  scales: Float32Array;
}

/**
 * Symmetric int8: w ≈ q × scale with q in [-127, 127] and zero point 0, scale = max|w| / 127 per slice
 * along `axis` (per-channel) or over the whole tensor (`axis` undefined). -128 is left unused so the
 * range is symmetric, as onnxruntime's own quantizer does for weights.
 */
export function quantizeSymmetric(w: Float32Array, dims: number[], axis?: number): Int8Weights {
  const channels = axis === undefined ? 1 : dims[axis];
  // Element i belongs to channel floor(i / inner) % channels for a row-major tensor.
  const inner = axis === undefined ? w.length : sizeOf(dims.slice(axis + 1));
  const channelOf = (i: number): number => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    const a = Math.abs(w[i]);
    if (a > maxAbs[c]) maxAbs[c] = a;
  }
  // An all-zero channel gets scale 1: any positive scale reproduces zeros, and 0 would divide by zero.
  const scales = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i] / scales[channelOf(i)])));
  return { q, scales };
}

/** Row-major [rows, cols] → [cols, rows]. */
export function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}
