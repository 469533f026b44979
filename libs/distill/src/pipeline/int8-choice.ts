import { CalibrationRows, QuantizationError } from '@edgefleet/onnx';
import type { Dataset } from '../data';
import { argmaxRows, matchRate } from '../train/metrics';
import { Int8Metrics } from './options';
import { quantizers } from './quantizers';
import { compareLatency, OnnxClassifier } from './run-model';

export interface Int8ChoiceInput {
  calibration: CalibrationRows;
  converters: ReturnType<typeof quantizers>;
  /** Measure latency (false: no timing, the dynamic format is kept). */
  timed: boolean;
  warnings: string[];
  name: string;
  threads: number;
  test: Dataset;
}

type Format = Int8Metrics['format'];

/**
 * Makes both int8 formats of `fp32` (static when the model allows it; a QuantizationError becomes a warning and
 * leaves dynamic alone), scores them on the test rows and times them at batch 1 in alternation with fp32; keeps
 * the faster. `fasterThanFp32` records whether even that one beat fp32 here.
 */
export async function chooseInt8(fp32: Uint8Array, c: Int8ChoiceInput): Promise<{ bytes: Uint8Array; metrics: Int8Metrics }> {
  const { test } = c;
  const made: Array<{ format: Format; bytes: Uint8Array }> = [{ format: 'dynamic', bytes: await c.converters.int8!(fp32) }];
  if (c.converters.int8Static) {
    try {
      made.push({ format: 'static', bytes: await c.converters.int8Static(fp32, c.calibration) });
    } catch (err) {
      if (!(err instanceof QuantizationError)) throw err;
      c.warnings.push(`int8 static: ${c.name}: ${err.message}`);
    }
  }
  const open: OnnxClassifier[] = [];
  try {
    for (const b of [fp32, ...made.map((v) => v.bytes)]) open.push(await OnnxClassifier.open(b, test.sampleShape, test.numClasses, c.threads, c.name));
    const formats: Int8Metrics['formats'] = [];
    for (const [i, v] of made.entries()) {
      const pred = argmaxRows(await open[i + 1]!.logits(test.x, test.n), test.n, test.numClasses);
      formats.push({ format: v.format, bytes: v.bytes.byteLength, accuracy: matchRate(pred, test.y) });
    }
    const sample = test.x.subarray(0, test.x.length / test.n);
    const p50 = c.timed ? await compareLatency(open, sample) : undefined;
    if (p50) formats.forEach((f, i) => (f.latencyP50Ms = p50[i + 1]));
    const best = p50 ? formats.reduce((a, b) => (b.latencyP50Ms! < a.latencyP50Ms! ? b : a)) : formats[0]!;
    const metrics: Int8Metrics = {
      ...best, fp32LatencyP50Ms: p50?.[0], fasterThanFp32: p50 ? best.latencyP50Ms! < p50[0]! : undefined, formats,
    };
    return { bytes: made.find((v) => v.format === best.format)!.bytes, metrics };
  } finally {
    await Promise.all(open.map((o) => o.release()));
  }
}
