import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { QuantizationError } from './quantize-error';
import { convertToFp16, float16BitsToFloat32, float32ToFloat16Bits } from './quantize-fp16';
import { argmaxAgreement, cnnModel, maxAbsDiff, mlpModel, modelWithOperator, randomInputs, runModel } from './quantize-test-models';

test('float32 → float16 bits: exact values, rounding to nearest even, range limits', () => {
  const cases: Array<[number, number]> = [
    [1, 0x3c00], [-2, 0xc000], [0.1, 0x2e66], [65504, 0x7bff], [65520, 0x7c00], [-1e6, 0xfc00],
    [2 ** -24, 0x0001], [2 ** -26, 0x0000], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [0, 0],
  ];
  for (const [v, bits] of cases) assert.equal(float32ToFloat16Bits(v), bits, `${v}`);
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
  for (const v of [0.333, -7.25, 1234.5, 6.1e-5]) assert.ok(Math.abs(float16BitsToFloat32(float32ToFloat16Bits(v)) - v) <= Math.abs(v) * 2 ** -11);
});

for (const [name, model, shape] of [['MLP', mlpModel([256, 128, 10]), [256]], ['CNN', cnnModel(), [1, 12, 12]]] as const) {
  test(`fp16 ${name}: half the bytes, float32 in and out, same predictions`, async () => {
    const half = convertToFp16(model);
    assert.ok(half.length < 0.56 * model.length, `${half.length} vs ${model.length}`);
    const g = onnx.ModelProto.decode(half).graph!;
    assert.ok(g.initializer!.some((t) => t.dataType === onnx.TensorProto.DataType.FLOAT16));
    assert.equal(g.input![0].type!.tensorType!.elemType, onnx.TensorProto.DataType.FLOAT);
    const n = 300;
    const x = randomInputs(n, [...shape], 4);
    const a = await runModel(model, x, [n, ...shape]);
    const b = await runModel(half, x, [n, ...shape]);
    assert.ok(argmaxAgreement(a, b, 10) >= 0.98);
    assert.ok(maxAbsDiff(a, b) < 0.02, `max diff ${maxAbsDiff(a, b)}`);
    assert.ok(maxAbsDiff(a, b) > 0, 'weights really changed precision');
  });
}

test('fp16 keeps tiny and out-of-range tensors in float32', () => {
  const g = onnx.ModelProto.decode(convertToFp16(mlpModel([32, 8, 10]))).graph!;
  const byName = new Map(g.initializer!.map((t) => [t.name, t.dataType]));
  assert.equal(byName.get('b1'), onnx.TensorProto.DataType.FLOAT); // 10 elements < 16
  assert.equal(byName.get('W0_fp16'), onnx.TensorProto.DataType.FLOAT16);
  const big = convertToFp16(modelWithOperator('Relu', '', 1e5));
  const w = onnx.ModelProto.decode(big).graph!.initializer!;
  assert.deepEqual(w.map((t) => [t.name, t.dataType]), [['W', onnx.TensorProto.DataType.FLOAT]]); // 1e5 > fp16 max 65504
});

test('fp16 refuses operators onnxruntime cannot run', () => {
  assert.throws(() => convertToFp16(modelWithOperator('Mystery', 'org.nowhere')), (e: unknown) => e instanceof QuantizationError && /org\.nowhere::Mystery/.test(e.message));
});
