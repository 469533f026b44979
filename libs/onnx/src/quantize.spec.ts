import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { QuantizationError, quantizeInt8, quantizeInt8Detailed } from './quantize';
import { argmaxAgreement, cnnModel, encodeModel, maxAbsDiff, mlpModel, modelWithOperator, opTypes, randomInputs, runModel } from './quantize-test-models';

const N = 400;
const distinct = (y: Float32Array, k: number): number => {
  const s = new Set<number>();
  for (let r = 0; r < y.length / k; r++) {
    const row = y.subarray(r * k, (r + 1) * k);
    s.add(row.indexOf(Math.max(...row)));
  }
  return s.size;
};
const maxAbs = (y: Float32Array): number => y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

async function compare(fp32: Uint8Array, q: Uint8Array, shape: number[], classes = 10): Promise<{ agreement: number; relErr: number }> {
  const x = randomInputs(N, shape, 11);
  const a = await runModel(fp32, x, [N, ...shape]);
  const b = await runModel(q, x, [N, ...shape]);
  // Guards against a trivial pass: the float model must actually separate the random inputs.
  assert.ok(distinct(a, classes) >= 4, `float model predicts only ${distinct(a, classes)} classes`);
  return { agreement: argmaxAgreement(a, b, classes), relErr: maxAbsDiff(a, b) / maxAbs(a) };
}

test('dense MLP, dynamic per-channel: DynamicQuantizeMatMul, ≤ 30% of the bytes, ≥ 98% argmax agreement', async () => {
  const fp32 = mlpModel([256, 128, 64, 10]);
  const report = quantizeInt8Detailed(fp32);
  const q = report.model;
  assert.deepEqual(report.quantized, ['matmul0', 'matmul1', 'matmul2']);
  const ops = opTypes(q);
  assert.equal(ops.filter((o) => o === 'com.microsoft::DynamicQuantizeMatMul').length, 3);
  assert.ok(!ops.includes('MatMul'));
  assert.ok(q.length <= 0.3 * fp32.length, `int8 ${q.length} B vs fp32 ${fp32.length} B`);
  const { agreement, relErr } = await compare(fp32, q, [256]);
  assert.ok(agreement >= 0.98, `agreement ${agreement}`);
  assert.ok(relErr < 0.05, `relative error ${relErr}`);
});

test('per-tensor scales also hold ≥ 98% agreement', async () => {
  const fp32 = mlpModel([256, 128, 10], { seed: 5 });
  const q = quantizeInt8(fp32, { perChannel: false });
  const scales = onnx.ModelProto.decode(q).graph!.initializer!.filter((t) => t.name!.endsWith('_scale'));
  assert.ok(scales.every((t) => (t.dims ?? []).length === 0), 'one scalar scale per weight');
  const { agreement } = await compare(fp32, q, [256]);
  assert.ok(agreement >= 0.98, `agreement ${agreement}`);
});

test('Gemm with transB, alpha, beta and bias converts exactly enough to match the float outputs', async () => {
  const fp32 = mlpModel([64, 32, 10], { gemm: { alpha: 0.5, beta: 2 }, seed: 9 });
  const q = quantizeInt8(fp32);
  assert.ok(!opTypes(q).includes('Gemm'));
  const { agreement, relErr } = await compare(fp32, q, [64]);
  assert.ok(agreement >= 0.98, `agreement ${agreement}`);
  // Dropping alpha, beta, the bias or the transpose would each give errors far above this.
  assert.ok(relErr < 0.03, `relative error ${relErr}`);
});

test('QDQ format keeps standard ops: DequantizeLinear feeding float MatMul / Gemm / Conv', async () => {
  for (const [fp32, shape] of [[mlpModel([256, 64, 10], { gemm: {} }), [256]], [cnnModel(), [1, 12, 12]]] as const) {
    const q = quantizeInt8(fp32, { format: 'qdq' });
    const ops = opTypes(q);
    assert.ok(ops.includes('DequantizeLinear'));
    assert.ok(!ops.some((o) => o.startsWith('com.microsoft')));
    const { agreement } = await compare(fp32, q, [...shape]);
    assert.ok(agreement >= 0.98, `agreement ${agreement}`);
  }
});

test('CNN, dynamic: Conv weights through per-channel DequantizeLinear, the classifier through DynamicQuantizeMatMul', async () => {
  const fp32 = cnnModel();
  const q = quantizeInt8(fp32);
  const g = onnx.ModelProto.decode(q).graph!;
  const dq = g.node!.filter((n) => n.opType === 'DequantizeLinear');
  assert.equal(dq.length, 2);
  assert.ok(dq.every((n) => n.attribute!.some((a) => a.name === 'axis' && Number(a.i) === 0)));
  assert.ok(opTypes(q).includes('com.microsoft::DynamicQuantizeMatMul'));
  const { agreement, relErr } = await compare(fp32, q, [1, 12, 12]);
  assert.ok(agreement >= 0.98, `agreement ${agreement}`);
  assert.ok(relErr < 0.05, `relative error ${relErr}`);
});

test('an opset-11 model gets per-tensor DequantizeLinear instead of a changed opset', async () => {
  const fp32 = mlpModel([32, 16, 10], { opset: 11 });
  const q = quantizeInt8(fp32, { format: 'qdq' });
  const m = onnx.ModelProto.decode(q);
  assert.deepEqual(m.opsetImport!.map((o) => Number(o.version)), [11]);
  assert.ok(m.graph!.node!.filter((n) => n.opType === 'DequantizeLinear').every((n) => (n.attribute ?? []).length === 0));
  assert.ok((await compare(fp32, q, [32])).agreement >= 0.98);
});

test('an operator onnxruntime cannot run is refused, naming it', () => {
  assert.throws(
    () => quantizeInt8(modelWithOperator('FancyOp', 'com.example')),
    (e: unknown) => e instanceof QuantizationError && e.operator === 'com.example::FancyOp' && /node "odd" uses operator com\.example::FancyOp/.test(e.message),
  );
  assert.throws(() => quantizeInt8(modelWithOperator('Relux')), /operator Relux, which onnxruntime cannot run/);
  assert.doesNotThrow(() => quantizeInt8(modelWithOperator('Relu')));
});

test('weight layouts the rewrite cannot convert are refused, naming the operator', () => {
  const w3 = { name: 'W', dataType: onnx.TensorProto.DataType.FLOAT, dims: [2, 4, 4], rawData: new Uint8Array(128) };
  const batched = encodeModel({ nodes: [{ name: 'bmm', opType: 'MatMul', input: ['x', 'W'], output: ['y'] }], initializers: [w3], input: ['x', [2, 3, 4]], output: ['y', [2, 3, 4]] });
  assert.throws(() => quantizeInt8(batched), (e: unknown) => e instanceof QuantizationError && e.operator === 'MatMul' && /shape \[2, 4, 4\]/.test(e.message));
  const w2 = { ...w3, dims: [4, 4], rawData: new Uint8Array(64) };
  const transA = encodeModel({
    nodes: [{ name: 'g', opType: 'Gemm', input: ['x', 'W'], output: ['y'], attribute: [{ name: 'transA', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }],
    initializers: [w2], input: ['x', [4, 3]], output: ['y', [3, 4]],
  });
  assert.throws(() => quantizeInt8(transA), /Gemm node "g": transA=1/);
  assert.doesNotThrow(() => quantizeInt8(transA, { format: 'qdq' }));
});
