/**
 * The `distill` command line as a user runs it: a child process on a small CSV data set, stdout
 * checked for exactly one JSON object of the documented shape, files on disk, and the one-line
 * errors for bad options and bad data (exit 1, nothing on stdout).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withTempDir } from '../data/test-factory';
import { Prng } from '@edgefleet/toolkit';
import { parseDistillArgs } from './args';

const CLI = join(__dirname, 'distill.js');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Three Gaussian blobs in 6 dimensions, label first: learnable in a couple of epochs. */
function blobsCsv(n: number, seed: number): string {
  const rng = new Prng(seed);
  const lines = ['label,f1,f2,f3,f4,f5,f6'];
  for (let i = 0; i < n; i++) {
    const y = i % 3;
    const f = Array.from({ length: 6 }, (_, j) => ((j % 3 === y ? 2 : 0) + 0.7 * rng.normal()).toFixed(4));
    lines.push([y, ...f].join(','));
  }
  return `${lines.join('\n')}\n`;
}

test('distill --json on a CSV: one JSON object on stdout with the documented fields; models and metrics written', async () => {
  await withTempDir(async (dir) => {
    const csv = join(dir, 'blobs.csv');
    await writeFile(csv, blobsCsv(1400, 1));
    const out = join(dir, 'out');
    const r = run(['--dataset', csv, '--out', out, '--teacher-arch', 'mlp', '--teacher-epochs', '8', '--students', 'mlp:4', '--batch-size', '32',
      '--epochs', '8', '--patience', '0', '--seed', '2', '--threads', '1', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, `stdout must be one JSON line, got:\n${r.stdout}`);
    const j = JSON.parse(lines[0]!) as {
      teacher: { accuracy: number; params: number; bytes: number };
      students: { name: string; params: number; macs: number; accuracy: number; agreement: number; bytes: number;
        hardLabelBaseline: { accuracy: number }; int8: { accuracy: number; bytes: number; latencyP50Ms: number; format: string; fp32LatencyP50Ms: number; fasterThanFp32: boolean }; fp16: { accuracy: number; bytes: number } }[];
    };
    assert.ok(j.teacher.accuracy > 0.8, `teacher accuracy ${j.teacher.accuracy} on separable blobs`);
    assert.equal(j.students.length, 1);
    const s = j.students[0]!;
    assert.equal(s.name, 'mlp-6-4-3');
    assert.equal(s.params, 6 * 4 + 4 + 4 * 3 + 3);
    assert.ok(s.accuracy > 0.6 && s.accuracy <= 1, `student accuracy ${s.accuracy}`);
    assert.ok(s.agreement > 0.6 && s.agreement <= 1, `agreement ${s.agreement}`);
    assert.ok(s.hardLabelBaseline.accuracy > 0.34, `hard-label baseline ${s.hardLabelBaseline.accuracy}`);
    // (43 weights: too few for int8/fp16 to be smaller than fp32 once scales and casts are added)
    assert.ok(s.int8.bytes > 0 && s.fp16.bytes > 0 && s.int8.accuracy > 0.6 && s.fp16.accuracy > 0.6, `int8 ${JSON.stringify(s.int8)}, fp16 ${JSON.stringify(s.fp16)}`);
    assert.ok(s.int8.latencyP50Ms > 0);
    assert.ok(['dynamic', 'static'].includes(s.int8.format) && s.int8.fp32LatencyP50Ms > 0);
    assert.equal(s.int8.fasterThanFp32, s.int8.latencyP50Ms < s.int8.fp32LatencyP50Ms);
    const files = (await readdir(out)).sort();
    assert.deepEqual(files, ['metrics.json', 'mlp-6-4-3.fp16.onnx', 'mlp-6-4-3.int8.onnx', 'mlp-6-4-3.onnx', 'teacher.onnx']);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as { students: { accuracy: number }[]; details: { settings: { epochs: number; seed: number } } };
    assert.equal(metrics.students[0]!.accuracy, s.accuracy);
    assert.equal(metrics.details.settings.epochs, 8);
    assert.equal(metrics.details.settings.seed, 2);
  });
});

test('distill: bad options and bad data are one-line errors naming the problem, exit 1, nothing on stdout', async () => {
  await withTempDir(async (dir) => {
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, '0,1,2\n1,3\n');
    const cases: { args: string[]; expect: RegExp }[] = [
      { args: ['--out', dir], expect: /^distill: --dataset is required \(see --help\)$/m },
      { args: ['--dataset', bad, '--out', dir, '--patience', '-1'], expect: /bad value for --patience: -1/ },
      { args: ['--dataset', bad, '--out', dir, '--frobnicate'], expect: /unknown option --frobnicate/ },
      { args: ['--dataset', bad, '--out', join(dir, 'o')], expect: new RegExp(`^distill: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 2`) },
      { args: ['--dataset', join(dir, 'missing.csv'), '--out', join(dir, 'o')], expect: /missing\.csv/ },
    ];
    for (const c of cases) {
      const r = run(c.args);
      assert.equal(r.status, 1, `${c.args.join(' ')}: exit ${r.status}\n${r.stderr}`);
      assert.equal(r.stdout, '', `${c.args.join(' ')}: stdout must stay empty`);
      assert.match(r.stderr, c.expect, `${c.args.join(' ')}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.deepEqual((await readdir(dir)).sort(), ['bad.csv'], 'a failed run writes nothing');
  });
});

test('parseDistillArgs: --patience takes a non-negative integer and reaches the options', () => {
  assert.equal(parseDistillArgs(['--dataset', 'd', '--out', 'o', '--patience', '0']).patience, 0);
  assert.equal(parseDistillArgs(['--dataset', 'd', '--out', 'o', '--patience', '7']).patience, 7);
  assert.equal(parseDistillArgs(['--dataset', 'd', '--out', 'o']).patience, undefined);
  assert.throws(() => parseDistillArgs(['--dataset', 'd', '--out', 'o', '--patience', '1.5']), /bad value for --patience: 1\.5/);
});

test('distill --help prints the usage with the engine defaults on stdout, exit 0; several problems are listed in one line', () => {
  const help = run(['--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^usage: npm run -s distill -- \[options\]/);
  assert.match(help.stdout, /--temperature <T>\s+softmax temperature of the KD term \(default 2\)/);
  const bad = run(['--frobnicate', '--alpha', '2', '--out']);
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  for (const p of [/unknown option --frobnicate/, /bad value for --alpha: 2 \(a number in 0\.\.1\)/, /--out needs a value/, /--dataset is required/]) assert.match(bad.stderr, p);
});
