import { onnx } from 'onnx-proto';

/** Element types this project builds graphs with, named as onnxruntime names tensor types. */
export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

const TO_ONNX: Record<DType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

export const toOnnxType = (t: DType): onnx.TensorProto.DataType => TO_ONNX[t];

/** The project's name for an ONNX element type, or `unknown(<code>)` for types we never build. */
export function fromOnnxType(code: number): DType | `unknown(${number})` {
  for (const [name, value] of Object.entries(TO_ONNX)) if (value === code) return name as DType;
  return `unknown(${code})`;
}
