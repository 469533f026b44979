/**
 * The model tools as a user runs them before uploading: `npm run eval-set` builds eval sets from JSONL, CSV and .npy
 * for third-party-shaped models, and `npm run -s bench-model` runs the agent's own benchmark on them (a child process
 * each, real onnxruntime), printing one JSON object, or one line and exit 1 for a model devices could not run.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { multiLabelModel, RECURRENT_VAD_SPEC, recurrentVadModel, regressionCase, seededValues, wakeWordCase } from '@edgefleet/onnx/dist/testing/foreign-models';

const BENCH_MODEL = resolve(__dirname, '../../device-agent/dist/cli/bench-model.js');
const EVAL_SET = resolve(__dirname, '../../libs/distill/dist/cli/eval-set.js');
const dir = mkdtempSync(join(tmpdir(), 'edgefleet-model-tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(cli: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const put = (name: string, data: Uint8Array | string): string => {
  writeFileSync(join(dir, name), data);
  return join(dir, name);
};
/** One JSON object on stdout and nothing else. */
function json(r: { status: number | null; stdout: string; stderr: string }): any {
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
  return JSON.parse(r.stdout);
}
/** A little-endian float32 .npy of `shape` (NumPy's format version 1). */
function npy(data: Float32Array, shape: number[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre.writeUInt8(1, 6);
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

describe('bench-model and eval-set on third-party-shaped models', { timeout: 240_000 }, () => {
  test('a recurrent VAD-shaped model: one line and exit 1 without its input spec, the agent\'s report with it', () => {
    const model = put('vad.onnx', recurrentVadModel());
    const refused = run(BENCH_MODEL, ['--model', model, '--json']);
    assert.equal(refused.status, 1);
    assert.equal(refused.stdout, '');
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /^bench-model: devices could not build this model's inputs: .*"input".*"state".*"sr" is an int64 scalar/);
    const r = json(run(BENCH_MODEL, ['--model', model, '--input-spec', put('vad.json', JSON.stringify(RECURRENT_VAD_SPEC)), '--profile', 'mcu-lite', '--max-memory-mb', '64', '--json']));
    assert.equal(r.profile, 'mcu-lite');
    assert.equal(r.simulated, true);
    assert.equal(r.inputSource, 'synthetic');
    assert.ok(r.latency.p50Ms > 0 && r.latency.p95Ms >= r.latency.p50Ms && r.latency.p99Ms >= r.latency.p95Ms);
    assert.ok(r.modelMemoryMb >= 0 && r.modelMemoryMb < r.peakRssMb, JSON.stringify(r));
    assert.ok(Math.abs(r.peakRssMb - r.runtimeBaselineMb - r.modelMemoryMb) < 0.02, 'model memory = process peak − runtime baseline');
    assert.deepEqual(r.gateResults, [{ gate: 'maxMemoryMb', limit: 64, measured: r.modelMemoryMb, passed: true }]);
  });

  test('a wake-word head: eval set from JSONL (shaped samples), scored by binary accuracy', () => {
    const c = wakeWordCase();
    const rows = Array.from({ length: c.n }, (_, i) => {
      const s = c.x.subarray(i * 2400, (i + 1) * 2400);
      return JSON.stringify({ x: Array.from({ length: 25 }, (_, t) => Array.from(s.subarray(t * 96, (t + 1) * 96))), y: c.y![i] });
    });
    const model = put('ww.onnx', c.model);
    const built = json(run(EVAL_SET, ['--from', put('ww.jsonl', rows.join('\n')), '--model', model, '--out', join(dir, 'ww.efev'), '--task', 'binary', '--json']));
    assert.deepEqual([built.samples, built.sampleShape, built.input, built.task, built.threshold], [20, [25, 96], 'features', 'binary', 0.5]);
    const r = json(run(BENCH_MODEL, ['--model', model, '--eval-set', join(dir, 'ww.efev'), '--min-accuracy', '0.9', '--json']));
    assert.deepEqual(r.metric, { task: 'binary', name: 'binary-accuracy', value: c.expectedAccuracy, threshold: 0.5 });
    assert.deepEqual(r.gateResults, [{ gate: 'minAccuracy', limit: 0.9, measured: 0.85, passed: false }]);
    assert.equal(r.passed, false);
  });

  test('a regressor: eval set from CSV, scored by MAE and RMSE; labels that do not fit the task are one line', () => {
    const c = regressionCase();
    const lines = ['target,f1,f2,f3,f4,f5,f6,f7,f8', ...Array.from({ length: c.n }, (_, i) => [c.targets![i], ...c.x.subarray(i * 8, (i + 1) * 8)].join(','))];
    const model = put('reg.onnx', c.model);
    const csv = put('reg.csv', lines.join('\n'));
    json(run(EVAL_SET, ['--from', csv, '--model', model, '--out', join(dir, 'reg.efev'), '--task', 'regression', '--json']));
    const r = json(run(BENCH_MODEL, ['--model', model, '--eval-set', join(dir, 'reg.efev'), '--json']));
    assert.equal(r.metric.name, 'mae');
    assert.ok(Math.abs(r.metric.value - c.expectedMae) < 1e-5 && Math.abs(r.metric.rmse - c.expectedRmse) < 1e-5, JSON.stringify(r.metric));
    assert.equal(r.accuracy, undefined);
    const bad = run(EVAL_SET, ['--from', csv, '--model', model, '--out', join(dir, 'bad.efev'), '--task', 'binary']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^eval-set: .*reg\.csv.*sample 0: label .* is not 0 or 1 \(task binary\)\n$/);
  });

  test('a multi-label head: eval set from .npy features and labels, scored by per-label accuracy', () => {
    const features = 6;
    const labels = 4;
    const n = 12;
    const w = seededValues(features * labels, 5);
    const x = seededValues(n * features, 9);
    const targets = new Float32Array(n * labels);
    for (let i = 0; i < n; i++) {
      for (let l = 0; l < labels; l++) {
        let z = 0;
        for (let f = 0; f < features; f++) z += x[i * features + f]! * w[f * labels + l]!;
        targets[i * labels + l] = (z >= 0 ? 1 : 0) ^ (i === 0 && l < 2 ? 1 : 0); // two of 48 decisions flipped
      }
    }
    const model = put('ml.onnx', multiLabelModel(w, features, labels));
    json(run(EVAL_SET, ['--from', put('x.npy', npy(x, [n, features])), '--labels', put('y.npy', npy(targets, [n, labels])), '--model', model,
      '--out', join(dir, 'ml.efev'), '--task', 'multilabel', '--json']));
    const r = json(run(BENCH_MODEL, ['--model', model, '--eval-set', join(dir, 'ml.efev'), '--json']));
    assert.deepEqual(r.metric, { task: 'multilabel', name: 'hamming-accuracy', value: Math.round((46 / 48) * 1e6) / 1e6, threshold: 0.5 });
  });
});
