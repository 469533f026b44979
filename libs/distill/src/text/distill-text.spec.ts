import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { FEATURIZER_METADATA_KEY, decodeAnyEvalSet, type FeaturizerSpec } from '@edgefleet/contracts';
import { modelMetadata } from '@edgefleet/onnx';
import { argmaxRows, matchRate } from '../train/metrics';
import { distillText, sparseTop1 } from './distill-text';
import { FastTextLidTeacher } from './teachers';
import { tinyUdhr } from './test-factory';

const featurizer: FeaturizerSpec = { id: 'hashed-ngrams', version: 1, charMin: 1, charMax: 3, wordMin: 1, wordMax: 1, seed: 0, buckets: 1024, maxChars: 200 };

test('text distillation end to end: fastText labels, a hashed n-gram student learns it, int8/fp16 keep the featurizer, the cache serves a second run', { timeout: 120_000 }, async () => {
  const data = await tinyUdhr();
  const cacheDir = await mkdtemp(join(tmpdir(), 'text-cache-'));
  try {
    const run = () => distillText({ data, teacher: new FastTextLidTeacher(), featurizer, cacheDir, students: ['mlp:16'], epochs: 15, batchSize: 16, lr: 1e-2, patience: 0, threads: 1, latency: false });
    const r = await run();
    assert.equal(r.labelSource, 'teacher', 'fastText brings its own classes; no human labels are used');
    assert.equal(r.classes.length, 176);
    assert.equal(r.teacherCost.cacheHit, false);
    assert.equal(r.teacherCost.textsLabelled, data.train.texts.length + data.test.texts.length);
    const s = r.metrics.students[0]!;
    assert.ok(s.agreement >= 0.8, `student agrees with the teacher on ${s.agreement} of held-out paragraphs`);
    const models = r.students[0]!;
    for (const bytes of [models.fp32, models.int8!, models.fp16!]) assert.deepEqual(JSON.parse(modelMetadata(bytes)[FEATURIZER_METADATA_KEY]!), featurizer);
    // The eval set a device gets, featurized by the shared spec, scores the int8 model as the trainer measured it.
    const evalSet = decodeAnyEvalSet(r.evalSet, featurizer);
    const session = await ort.InferenceSession.create(models.int8!);
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', evalSet.x, [evalSet.n, featurizer.buckets]) });
    await session.release();
    assert.equal(matchRate(argmaxRows(out[session.outputNames[0]!]!.data as Float32Array, evalSet.n, 176), evalSet.y), s.int8!.accuracy);
    const again = await run();
    assert.equal(again.teacherCost.cacheHit, true);
    assert.equal(again.teacherCost.textsLabelled, 0);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test('a sparse-layout featurizer ships embedding-bag students (indices + weights) scored through those inputs', { timeout: 120_000 }, async () => {
  const data = await tinyUdhr();
  const cacheDir = await mkdtemp(join(tmpdir(), 'text-cache-'));
  const sparse: FeaturizerSpec = { ...featurizer, version: 2, layout: 'sparse' };
  try {
    const r = await distillText({ data, teacher: new FastTextLidTeacher(), featurizer: sparse, cacheDir, students: ['mlp:16'], epochs: 15, batchSize: 16, lr: 1e-2, patience: 0, threads: 1, latency: false, baseline: false });
    const models = r.students[0]!;
    const s = r.metrics.students[0]!;
    assert.equal(models.fp16, undefined);
    assert.ok(r.metrics.warnings.some((w) => /no fp16 variant in the sparse layout/.test(w)));
    for (const bytes of [models.fp32, models.int8!]) {
      assert.deepEqual(JSON.parse(modelMetadata(bytes)[FEATURIZER_METADATA_KEY]!), sparse);
      const session = await ort.InferenceSession.create(bytes);
      assert.deepEqual(session.inputNames, ['indices', 'weights']);
      await session.release();
    }
    // The device's view: the eval set says sparse, and its rows fed as indices/weights give the trainer's score.
    const evalSet = decodeAnyEvalSet(r.evalSet, sparse);
    assert.equal(evalSet.sparse, true);
    const top = await sparseTop1(models.int8!, sparse, data.test.texts, 176);
    assert.equal(matchRate(top, evalSet.y), s.int8!.accuracy);
    assert.ok(Math.abs(s.int8!.accuracy - s.agreement) <= 0.05, `int8 bag ${s.int8!.accuracy} vs dense fp32 ${s.agreement}`);
    assert.ok(s.agreement >= 0.8, `student agrees with the teacher on ${s.agreement} of held-out paragraphs`);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});
