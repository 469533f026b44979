import { CalibrationRows, convertToFp16, quantizeInt8, quantizeInt8Calibrated } from '@edgefleet/onnx';

type Convert = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;
type Calibrated = (bytes: Uint8Array, rows: CalibrationRows) => Promise<Uint8Array>;

/** Rows of the training data static int8 calibrates on (min/max over them): enough to see every class often. */
export const CALIBRATION_ROWS = 2000;

/**
 * The converters of @edgefleet/onnx, behind one seam so a run can go without them: int8 dynamic (weights int8,
 * activations quantized per call), int8 static (activation scales calibrated on training rows), fp16.
 */
export function quantizers(): { int8?: Convert; int8Static?: Calibrated; fp16?: Convert } {
  return {
    int8: (b) => quantizeInt8(b),
    int8Static: async (b, rows) => (await quantizeInt8Calibrated(b, rows)).model,
    fp16: (b) => convertToFp16(b),
  };
}
