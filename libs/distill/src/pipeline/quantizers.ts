import { convertToFp16, quantizeInt8 } from '@edgefleet/onnx';

type Convert = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** The int8 and fp16 converters of @edgefleet/onnx, behind one seam so a run can go without them. */
export function quantizers(): { int8?: Convert; fp16?: Convert } {
  return { int8: (b) => quantizeInt8(b), fp16: (b) => convertToFp16(b) };
}
