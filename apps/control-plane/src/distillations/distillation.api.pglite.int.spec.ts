import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEvalSet } from '@edgefleet/contracts';
import { PrismaClient } from '@edgefleet/db';
import { DISTILL_DEFAULTS, HYPER_PARAMETER_NAMES } from '@edgefleet/distill';
import { JobQueue } from '@edgefleet/jobs';
import { ControlPlane, startControlPlane } from '../bootstrap';
import { ArtifactStore } from '@edgefleet/platform';
import { DISTILLATION_QUEUE } from '@edgefleet/distillation-worker';
import { ApiClient } from '../testing/factories';
import { readSse, syntheticCsv, uploadCsvDataset, waitForStatus } from './testing/distillation-fixtures';

describe('distillation as a service on PGlite with the embedded worker', () => {
  let dir: string;
  let cp: ControlPlane;
  let api: ApiClient;
  let datasetId: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-distill-api-'));
    cp = await startControlPlane({ PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dir });
    api = new ApiClient(cp.httpUrl, cp.adminApiKey);
  });
  after(async () => {
    await cp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('data sets: a CSV upload is read, stored and listed; an incomplete upload is refused', async () => {
    const r = await uploadCsvDataset(api, 'synthetic', syntheticCsv(), { testFraction: '0.25', splitSeed: '3' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual([r.body.format, r.body.trainRows, r.body.testRows, r.body.numClasses, r.body.sampleShape], ['csv', 180, 60, 3, [8]]);
    assert.match(r.body.files.csv.sha256, /^[a-f0-9]{64}$/);
    assert.ok(await cp.app.get(ArtifactStore).size(r.body.files.csv.sha256));
    datasetId = r.body.id;
    assert.equal((await api.get(`/api/v1/datasets/${datasetId}`)).body.name, 'synthetic');
    assert.equal((await api.get('/api/v1/datasets')).body.total, 1);
    assert.equal((await uploadCsvDataset(api, 'synthetic', syntheticCsv())).status, 409);
    const form = new FormData();
    form.set('name', 'half-idx');
    form.set('trainImages', new Blob([Buffer.alloc(16)]), 'x');
    const half = await api.request('POST', '/api/v1/datasets', form);
    assert.equal(half.status, 400);
    assert.match(half.body.message, /missing trainLabels, testImages, testLabels/);
    const bad = await uploadCsvDataset(api, 'garbage', 'label,a\nx,y\n');
    assert.equal(bad.status, 422);
    assert.equal((await api.post('/api/v1/datasets', { builtin: 'imagenet' })).status, 400);
  });

  it('requests are checked before they are queued', async () => {
    const post = (body: object) => api.post('/api/v1/distillations', body);
    assert.equal((await post({ datasetId, students: ['mlp:8'], targetBudget: { maxParams: 100 } })).status, 400);
    assert.equal((await post({ datasetId: '00000000-0000-4000-8000-000000000000' })).status, 422);
    const tiny = await post({ datasetId, targetBudget: { maxParams: 10 } });
    assert.equal(tiny.status, 422);
    assert.match(tiny.body.message, /no student fits/);
    assert.equal((await post({ datasetId, students: ['cnn:4-8-16'] })).status, 422, 'a CNN needs image samples');
  });

  it('a tiny job runs end to end: progress over SSE, artifacts per precision with lineage, metrics and an eval split', async () => {
    const created = await api.post('/api/v1/distillations', {
      datasetId, students: ['mlp:16'], epochs: 10, teacherEpochs: 2, temperature: 2, alpha: 0.7, seed: 5, batchSize: 16, evalSamples: 20, family: 'synth',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.status, 'queued');
    const events = await readSse(api, `/api/v1/distillations/${created.body.id}/events`, 60_000);
    const last = events.at(-1)!;
    assert.equal(last.event, 'end');
    assert.equal(last.data.status, 'succeeded', last.data.error);
    assert.ok(events.length >= 2, `progress events seen: ${events.map((e) => e.event)}`);
    const job = (await api.get(`/api/v1/distillations/${created.body.id}`)).body;
    assert.equal(job.progress.phase, 'publishing');
    assert.equal(job.progress.lastEpoch.run, 'mlp-8-16-3');
    assert.ok(job.progress.lastEpoch.epoch >= 1);
    // Every epoch of every run is kept for the curves: the teacher's, then the student's up to its last epoch.
    assert.deepEqual(job.progress.curves.map((c: { role: string }) => c.role), ['teacher', 'student']);
    const student = job.progress.curves[1];
    assert.deepEqual(student.points.map((p: number[]) => p[0]), Array.from({ length: job.progress.lastEpoch.epoch }, (_, i) => i + 1));
    assert.equal(student.points.at(-1)[1], job.progress.lastEpoch.loss);
    assert.equal(job.attempts, 1);
    const ids: string[] = job.result.artifactIds;
    assert.equal(ids.length, 3, 'fp32, int8 and fp16 of one student');

    const family = (await api.get('/api/v1/models?family=synth')).body;
    assert.equal(family.total, 4, 'three student variants and the teacher trained for the job');
    const prisma = cp.app.get(PrismaClient);
    const rows = await prisma.modelArtifact.findMany({ where: { id: { in: ids } }, orderBy: { precision: 'asc' } });
    assert.deepEqual(rows.map((r) => r.precision), ['fp16', 'fp32', 'int8']);
    const fp32 = rows.find((r) => r.precision === 'fp32')!;
    const lineage = fp32.lineage as any;
    assert.equal(lineage.jobId, job.id);
    assert.equal(lineage.dataset.id, datasetId);
    assert.equal(lineage.teacher.artifactId, job.result.teacherArtifactId);
    assert.deepEqual(lineage.hyperParameters, { epochs: 10, teacherEpochs: 2, temperature: 2, alpha: 0.7, labeledFraction: 1, seed: 5, batchSize: 16, patience: DISTILL_DEFAULTS.patience });
    assert.match(lineage.codeVersion, /distill@/);
    assert.equal((rows.find((r) => r.precision === 'int8')!.lineage as any).quantizedFrom, fp32.id);
    const metrics = fp32.metrics as any;
    assert.ok(metrics.accuracy > 0.5, `student accuracy ${metrics.accuracy} on separable data`);
    assert.ok(Number(fp32.macs) > 0);
    const evalSet = decodeEvalSet(await cp.app.get(ArtifactStore).get(fp32.evalSetSha256!));
    assert.deepEqual([evalSet.n, evalSet.numClasses, evalSet.sampleShape], [20, 3, [8]]);
    assert.equal(evalSet.inputName, (fp32.inputs as any)[0].name);
  });

  it('SSE streams epochs of a running job; cancel stops it through its AbortSignal; a finished one cannot be', async () => {
    const created = await api.post('/api/v1/distillations', { datasetId, students: ['mlp:8'], epochs: 500, teacherEpochs: 500, batchSize: 8, patience: 0 });
    const id = created.body.id;
    const epochs = new Set<number>();
    let cancel: Promise<any> | undefined;
    const events = await readSse(api, `/api/v1/distillations/${id}/events`, 30_000, (e) => {
      if (e.data.progress?.phase === 'training') epochs.add(e.data.progress.epoch);
      if (epochs.size >= 2) cancel ??= api.post(`/api/v1/distillations/${id}/cancel`);
    });
    assert.ok(epochs.size >= 2, `epochs streamed: ${[...epochs]}`);
    const c = await cancel!;
    assert.equal(c.status, 200);
    assert.equal(c.body.outcome, 'cancel-requested');
    assert.equal(events.at(-1)!.event, 'end');
    const done = await waitForStatus(api, id, ['cancelled'], 10_000);
    assert.equal(events.at(-1)!.data.status, 'cancelled');
    assert.equal(done.result, null);
    assert.equal((await api.post(`/api/v1/distillations/${id}/cancel`)).body.outcome, 'already-finished');
    assert.equal((await api.get('/api/v1/distillations?status=cancelled')).body.total, 1);
    assert.equal((await api.get('/api/v1/distillations/00000000-0000-4000-8000-000000000000')).status, 404);
  });

  it('a job whose payload breaks the contract fails at once, not retried, with every reason', async () => {
    // Written past the API, as another version or a hand-made row could: the worker is the boundary here.
    const job = await cp.app.get(JobQueue).enqueue(DISTILLATION_QUEUE, {
      datasetId: 'not-a-uuid', students: ['rnn:8'], family: 'x', evalSamples: 20, hyper: { epochs: 0, temperature: 'hot' }, extra: true,
    }, { maxAttempts: 3 });
    const done = await waitForStatus(api, job.id, ['failed', 'succeeded', 'cancelled'], 30_000);
    assert.equal(done.status, 'failed');
    assert.equal(done.attempts, 1, 'a bad payload is not retried');
    assert.match(done.error, /^invalid distillation payload: /);
    for (const reason of [/datasetId must be a UUID/, /students.*must match/, /hyper\.epochs must not be less than 1/, /hyper\.temperature must be a number/, /property extra should not exist/]) {
      assert.match(done.error, reason);
    }
  });

  it('a request naming no hyper-parameter runs with the engine\'s defaults, and the OpenAPI document states the same', async () => {
    const engine = Object.fromEntries(HYPER_PARAMETER_NAMES.map((k) => [k, DISTILL_DEFAULTS[k]]));
    const doc = await (await fetch(`${cp.httpUrl}/docs-json`)).json() as any;
    const props = doc.components.schemas.CreateDistillationDto.properties;
    assert.deepEqual(Object.fromEntries(HYPER_PARAMETER_NAMES.map((k) => [k, props[k]?.default])), engine, 'OpenAPI defaults');
    const created = await api.post('/api/v1/distillations', { datasetId, students: ['mlp:4'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.request.hyper, engine, 'the queued job');
    const done = await waitForStatus(api, created.body.id, ['succeeded', 'failed'], 60_000);
    assert.equal(done.status, 'succeeded', done.error);
    const ran = done.result.metrics.settings;
    assert.deepEqual([ran.epochs, ran.temperature, ran.alpha, ran.labeledFraction, ran.seed, ran.batchSize],
      [engine.epochs, engine.temperature, engine.alpha, engine.labeledFraction, engine.seed, engine.batchSize], 'what the engine ran with');
  });
});
