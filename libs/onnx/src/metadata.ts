import { onnx } from 'onnx-proto';
import { decodeModel } from './model-info';

/** The model's `metadata_props` (ONNX's free-form key → value strings), e.g. a text model's featurizer. */
export function modelMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of decodeModel(bytes).metadataProps ?? []) if (p.key) out[p.key] = p.value ?? '';
  return out;
}

/** A copy of the model with these `metadata_props` set (others kept). The quantizers carry them over. */
export function withModelMetadata(bytes: Uint8Array, props: Record<string, string>): Uint8Array {
  const m = decodeModel(bytes);
  const kept = (m.metadataProps ?? []).filter((p) => !(p.key && p.key in props));
  m.metadataProps = [...kept, ...Object.entries(props).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }))];
  return onnx.ModelProto.encode(m).finish();
}
