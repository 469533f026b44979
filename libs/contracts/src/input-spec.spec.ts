import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEvalSet, encodeEvalSet, EvalSetFormatError } from './eval-set';
import { inputSpecGaps, inputSpecProblems, parseInputSpec, InputSpecError } from './input-spec';
import type { TensorInfo } from './profile';

// The signature of a silero-VAD-shaped model, as onnxruntime reports it.
const vad: { inputs: TensorInfo[]; outputs: TensorInfo[] } = {
  inputs: [
    { name: 'input', type: 'float32', dims: ['batch', 'samples'] },
    { name: 'state', type: 'float32', dims: [2, 'batch', 128] },
    { name: 'sr', type: 'int64', dims: [] },
  ],
  outputs: [{ name: 'output', type: 'float32', dims: ['batch', 1] }, { name: 'stateN', type: 'float32', dims: [2, 'batch', 128] }],
};

describe('input spec', () => {
  it('accepts the documented shape and lists every problem of a bad one', () => {
    assert.deepEqual(inputSpecProblems({ inputs: { input: { shape: [1, 512], fill: 'random' }, sr: { value: 16000 }, state: { fill: 'zeros', stateFrom: 'stateN' } } }), []);
    const problems = inputSpecProblems({ inputs: { a: { shape: [0, 2] }, b: { fill: 'noise', extra: 1 }, c: { value: 1, range: [0, 1] }, d: { range: [2, 1] }, e: { shape: [2], value: [1, 2, 3] } }, more: 1 });
    for (const re of [/unknown field "more"/, /\["a"\]\.shape must be/, /\["b"\]\.fill must be one of random, zeros/, /\["b"\]: unknown field "extra"/, /\["c"\]: give value or range/, /\["d"\]\.range must be/, /\["e"\]\.value has 3 numbers, shape \[2\] holds 2/]) {
      assert.ok(problems.some((p) => re.test(p)), `${re} in ${problems.join(' | ')}`);
    }
    assert.deepEqual(inputSpecProblems([]), ['inputSpec must be an object {"inputs": {...}}']);
    assert.throws(() => parseInputSpec({ inputs: 3 }), InputSpecError);
  });

  it('names each input a device cannot build and what is missing', () => {
    const gaps = inputSpecGaps(vad, undefined);
    assert.equal(gaps.length, 3);
    assert.match(gaps[0]!, /input "input" \[batch, samples\] has dynamic dimension 1 \("samples"\)/);
    assert.match(gaps[1]!, /input "state" \[2, batch, 128\] has dynamic dimension 1 \("batch"\)/);
    assert.match(gaps[2]!, /input "sr" is an int64 scalar/);
    assert.deepEqual(inputSpecGaps(vad, { inputs: { input: { shape: [1, 512] }, state: { shape: [2, 1, 128], stateFrom: 'stateN' }, sr: { value: 16000 } } }), []);
  });

  it('leaves the batch dimension and the input an eval set feeds to the device', () => {
    const m = { inputs: [{ name: 'x', type: 'float32', dims: ['batch', 'seq'] }, { name: 'ids', type: 'int64', dims: ['n'] }], outputs: [] };
    assert.equal(inputSpecGaps(m, undefined).length, 1);
    assert.deepEqual(inputSpecGaps(m, undefined, 'x'), []);
    // A sparse-layout text model: its eval set feeds both indices and weights, [batch, n] each.
    const bag = { inputs: [{ name: 'indices', type: 'int32', dims: ['batch', 'n'] }, { name: 'weights', type: 'float32', dims: ['batch', 'n'] }], outputs: [] };
    assert.deepEqual(inputSpecGaps(bag, undefined, 'indices'), []);
    assert.equal(inputSpecGaps(bag, undefined).length, 2, 'without an eval set the text length must be given');
  });

  it('checks the spec against the model: names, ranks, fixed dims and state outputs', () => {
    const gaps = inputSpecGaps(vad, { inputs: { input: { shape: [1] }, state: { shape: [3, 1, 128], stateFrom: 'nope' }, sr: { value: 8000 }, audio: { fill: 'zeros' } } });
    for (const re of [/names input "audio"/, /shape \[1\] has rank 1, the input \[batch, samples\] has rank 2/, /sets dimension 0 to 3, the model fixes it at 2/, /stateFrom names output "nope"/]) {
      assert.ok(gaps.some((g) => re.test(g)), `${re} in ${gaps.join(' | ')}`);
    }
  });
});

describe('eval set tasks (EFEV version 2)', () => {
  const base = { inputName: 'x', sampleShape: [2], n: 2, x: Float32Array.from([1, 2, 3, 4]) };

  it('keeps multi-class sets at version 1 and round-trips every task', () => {
    const v1 = encodeEvalSet({ ...base, numClasses: 3, y: Int32Array.from([0, 2]) });
    assert.equal(v1.readUInt32LE(4), 1);
    assert.equal(decodeEvalSet(v1).task, undefined);
    const binary = decodeEvalSet(encodeEvalSet({ ...base, numClasses: 2, y: Int32Array.from([1, 0]), task: 'binary', threshold: 0.25 }));
    assert.deepEqual([binary.task, binary.threshold, [...binary.y]], ['binary', 0.25, [1, 0]]);
    const regression = decodeEvalSet(encodeEvalSet({ ...base, numClasses: 2, y: new Int32Array(2), task: 'regression', targets: Float32Array.from([0.5, -1, 2, 3.25]) }));
    assert.deepEqual([regression.task, [...regression.targets!]], ['regression', [0.5, -1, 2, 3.25]]);
    const multi = decodeEvalSet(encodeEvalSet({ ...base, numClasses: 2, y: new Int32Array(2), task: 'multilabel', targets: Float32Array.from([1, 0, 0, 1]) }));
    assert.equal(multi.threshold, 0.5);
  });

  it('refuses labels the task cannot read', () => {
    assert.throws(() => decodeEvalSet(encodeEvalSet({ ...base, numClasses: 2, y: new Int32Array(2), task: 'multilabel', targets: Float32Array.from([1, 0.5, 0, 1]) })), /target 0.5 of sample 0 is not 0 or 1/);
    assert.throws(() => decodeEvalSet(encodeEvalSet({ ...base, numClasses: 2, y: Int32Array.from([1, 2]), task: 'binary' })), EvalSetFormatError);
    assert.throws(() => encodeEvalSet({ ...base, numClasses: 2, y: new Int32Array(2), task: 'regression', targets: new Float32Array(3) }), /expected n×numClasses = 4/);
  });
});
