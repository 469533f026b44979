import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { calibrateInt8, quantizeInt8Calibrated } from './calibrate';
import { QuantizationError } from './quantize-error';
import { quantizeInt8Static, uint8Params } from './quantize-static';
import { readFloats } from './quantize-tensor';
import { argmaxAgreement, cnnModel, maxAbsDiff, mlpModel, randomInputs, runModel, studentCnnModel } from './quantize-test-models';

const N = 400;
const CALIBRATION = 2000;
const maxAbs = (y: Float32Array): number => y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Calibrates on 2,000 rows (seed 5) and scores on 400 others (seed 11): the calibration never sees the test rows.
 * (With 256 rows a test row's extreme fell outside the calibrated range often enough to double the error.)
 */
async function staticVsFp32(fp32: Uint8Array, shape: number[], q?: Uint8Array): Promise<{ agreement: number; relErr: number; model: Uint8Array }> {
  const model = q ?? (await quantizeInt8Calibrated(fp32, { x: randomInputs(CALIBRATION, shape, 5), n: CALIBRATION })).model;
  const x = randomInputs(N, shape, 11);
  const a = await runModel(fp32, x, [N, ...shape]);
  const b = await runModel(model, x, [N, ...shape]);
  return { agreement: argmaxAgreement(a, b, 10), relErr: maxAbsDiff(a, b) / maxAbs(a), model };
}

/** Op types after onnxruntime's own graph optimisation: what actually runs. */
async function optimizedOps(model: Uint8Array): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'qdq-'));
  try {
    const file = join(dir, 'opt.onnx');
    const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', optimizedModelFilePath: file, logSeverityLevel: 3 });
    await s.release();
    return (onnx.ModelProto.decode(await readFile(file)).graph?.node ?? []).map((n) => String(n.opType));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Tolerance: every activation is rounded to 1/255 of its calibrated range (three roundings per layer: input,
// product, biased output) and every weight to 1/254 of its channel's largest, so each layer adds about 1% of its
// output range, more where a test row exceeds the calibrated extremes and saturates; over these 2–3 layer nets the
// largest logit error measured 0.017–0.06 of the largest logit. 0.1 leaves room for other seeds, and the broken
// variant below (ranges off by 10×) shows what a wrong scale or zero point does: far above it. Argmax agreement:
// random nets on random inputs have tiny top-2 margins (dynamic int8, one rounding fewer, agrees 0.99), static
// measured 0.97–0.985; ≥ 0.96.
const REL_ERR = 0.1;
const AGREEMENT = 0.96;

test('static MLP (Gemm with transB, alpha, beta): one QGemm per layer in onnxruntime (bias and Relu inside), matches fp32', async () => {
  const fp32 = mlpModel([256, 128, 64, 10], { gemm: { alpha: 0.5, beta: 2 }, seed: 9 });
  const { agreement, relErr, model } = await staticVsFp32(fp32, [256]);
  assert.ok(agreement >= AGREEMENT, `agreement ${agreement}`);
  assert.ok(relErr < REL_ERR, `relative error ${relErr}`);
  // One QuantizeLinear for the input, then uint8 from layer to layer; the last QGemm writes the float logits.
  assert.deepEqual(await optimizedOps(model), ['QuantizeLinear', 'QGemm', 'QGemm', 'QGemm']);
});

test('static MLP of MatMul + Add matches fp32 the same way', async () => {
  const fp32 = mlpModel([256, 128, 10], { seed: 4 });
  const { agreement, relErr, model } = await staticVsFp32(fp32, [256]);
  assert.ok(agreement >= AGREEMENT, `agreement ${agreement}`);
  assert.ok(relErr < REL_ERR, `relative error ${relErr}`);
  assert.ok((await optimizedOps(model)).includes('QLinearMatMul'));
});

test('static CNN: Conv → QLinearConv with int32 bias, MaxPool and Flatten on uint8, matches fp32; a 1-channel first Conv stays float', async () => {
  const fp32 = cnnModel();
  const { agreement, relErr, model } = await staticVsFp32(fp32, [1, 12, 12]);
  assert.ok(agreement >= AGREEMENT, `agreement ${agreement}`);
  assert.ok(relErr < REL_ERR, `relative error ${relErr}`);
  const ops = await optimizedOps(model);
  // conv1 (1 channel × 3 × 3 = 9-long dot products, below MIN_CONV_DEPTH) stays float; conv2 (8 × 3 × 3) is int8.
  assert.equal(ops.filter((o) => o === 'QLinearConv').length, 1, ops.join(' '));
  assert.equal(ops.filter((o) => o === 'Conv' || o === 'FusedConv').length, 1, ops.join(' '));
  const biases = onnx.ModelProto.decode(model).graph!.initializer!.filter((t) => t.dataType === onnx.TensorProto.DataType.INT32);
  assert.equal(biases.length, 2, 'the biases of the quantized Conv and Gemm are int32');
  assert.equal(ops.filter((o) => o === 'QGemm').length, 1, ops.join(' '));
});

test('a CNN as distill exports it (Conv → MaxPool → Relu blocks, dense head): integer from conv2\'s input to the logits', async () => {
  const { agreement, relErr, model } = await staticVsFp32(studentCnnModel(), [1, 12, 12]);
  assert.ok(agreement >= AGREEMENT, `agreement ${agreement}`);
  assert.ok(relErr < REL_ERR, `relative error ${relErr}`);
  const ops = await optimizedOps(model);
  // Nothing runs as a separate float op or Q/DQ pair: both Relus after the pools are absorbed (zero point 0), the
  // second pool runs on uint8 in NHWC, every DequantizeLinear is fused away.
  for (const op of ['Relu', 'DequantizeLinear', 'Gemm', 'FusedGemm', 'MaxPool']) assert.ok(!ops.slice(ops.indexOf('QuantizeLinear')).includes(op), `${op} in ${ops.join(' ')}`);
  // conv1 (9-long dot products) and its pool stay float (onnxruntime runs them in its NCHWc layout on AVX CPUs); from
  // its pooled, Relu-absorbed output one QuantizeLinear, then uint8: QLinearConv in NHWC (the Transposes are
  // onnxruntime's NHWC transformer: into NHWC, and back to NCHW for the Flatten), the pool, and the dense head as two
  // QGemm, the last writing the float logits.
  const from = ops.indexOf('QuantizeLinear');
  assert.deepEqual(ops.slice(from), ['QuantizeLinear', 'Transpose', 'QLinearConv', 'NhwcMaxPool', 'Transpose', 'Flatten', 'QGemm', 'QGemm']);
  assert.equal(ops.filter((o) => o === 'QuantizeLinear').length, 1, ops.join(' '));
});

test('the error bound can fail: activation ranges 10× too narrow saturate and break the match', async () => {
  const fp32 = mlpModel([256, 128, 64, 10], { seed: 9 });
  const ranges = await calibrateInt8(fp32, { x: randomInputs(CALIBRATION, [256], 5), n: CALIBRATION });
  const narrow = new Map([...ranges].map(([k, r]) => [k, { min: r.min / 10, max: r.max / 10 }]));
  const { relErr } = await staticVsFp32(fp32, [256], quantizeInt8Static(fp32, narrow).model);
  assert.ok(relErr > REL_ERR, `relative error ${relErr} with broken ranges`);
});

test('per-channel weight scales: one per output column (MatMul) or filter (Conv), each max|w| / 127', async () => {
  const fp32 = cnnModel();
  const src = new Map(onnx.ModelProto.decode(fp32).graph!.initializer!.map((t) => [t.name!, readFloats(t)]));
  const q = onnx.ModelProto.decode((await quantizeInt8Calibrated(fp32, { x: randomInputs(64, [1, 12, 12], 5), n: 64 })).model).graph!;
  const init = new Map(q.initializer!.map((t) => [t.name!, t]));
  const weightDq = q.node!.filter((n) => n.opType === 'DequantizeLinear' && init.get(n.input![0]!)?.dataType === onnx.TensorProto.DataType.INT8);
  assert.equal(weightDq.length, 2, 'conv2 and the classifier (conv1 stays float)');
  for (const n of weightDq) {
    const scales = readFloats(init.get(n.input![1]!)!);
    const axis = Number(n.attribute!.find((a) => a.name === 'axis')!.i);
    if (n.input![0]!.startsWith('K')) {
      // Conv K [M, C, 3, 3]: axis 0, scale of filter m = max |K[m]| / 127.
      const k = src.get(n.input![0]!.replace(/_int8.*/, ''))!;
      const m = scales.length;
      const per = k.length / m;
      assert.equal(axis, 0);
      for (let c = 0; c < m; c++) assert.ok(Math.abs(scales[c]! - maxAbs(k.subarray(c * per, (c + 1) * per)) / 127) < 1e-7);
    } else {
      // Gemm W [10, 256] with transB: normalized to [256, 10], axis 1, scale of column j = max |W[j, :]| / 127.
      const w = src.get('W')!;
      assert.equal(axis, 1);
      assert.equal(scales.length, 10);
      for (let j = 0; j < 10; j++) assert.ok(Math.abs(scales[j]! - maxAbs(w.subarray(j * 256, (j + 1) * 256)) / 127) < 1e-7);
    }
  }
  const perTensor = onnx.ModelProto.decode((await quantizeInt8Calibrated(fp32, { x: randomInputs(64, [1, 12, 12], 5), n: 64 }, { perChannel: false })).model).graph!;
  const scalars = perTensor.node!.filter((n) => n.opType === 'DequantizeLinear' && n.input![0]!.includes('_int8')).map((n) => perTensor.initializer!.find((t) => t.name === n.input![1])!);
  assert.ok(scalars.length === 2 && scalars.every((t) => (t.dims ?? []).length === 0), 'one scalar scale per weight tensor');
});

test('calibration records each tensor\'s min/max over the rows; a percentile narrows them', async () => {
  const fp32 = mlpModel([32, 16, 10], { seed: 2 });
  const x = randomInputs(300, [32], 7);
  const ranges = await calibrateInt8(fp32, { x, n: 300 });
  assert.deepEqual(ranges.get('x'), { min: Math.min(...x), max: Math.max(...x) });
  const p = await calibrateInt8(fp32, { x, n: 300 }, { method: 99 });
  for (const [k, r] of ranges) assert.ok(p.get(k)!.max <= r.max && p.get(k)!.min >= r.min, k);
  assert.ok(p.get('x')!.max < ranges.get('x')!.max);
  // uint8 parameters keep 0 exact: [-1, 3] → scale 4/255, zero point 64.
  assert.deepEqual(uint8Params({ min: -1, max: 3 }), { scale: 4 / 255, zeroPoint: 64 });
  assert.deepEqual(uint8Params({ min: 0.5, max: 2 }), { scale: 2 / 255, zeroPoint: 0 });
});

test('refused: an opset without per-axis QuantizeLinear, and a missing range, naming what is wrong', async () => {
  const old = mlpModel([32, 16, 10], { opset: 11 });
  assert.throws(() => quantizeInt8Static(old, new Map()), (e: unknown) => e instanceof QuantizationError && /opset 11/.test(e.message));
  assert.throws(() => quantizeInt8Static(mlpModel([32, 16, 10]), new Map()), /no calibrated range for tensor "x"/);
});
