/**
 * Integration: fleet targets and the autopilot on the whole control plane with PGlite. Devices and models go in
 * through the REST API (no agents: the deployment rows are what is checked); a model's accuracy is set on its
 * row as a distillation would have. The periodic loop is slowed down so each reconcile here is explicit.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrismaClient } from '@edgefleet/db';
import { DISTILLATION_QUEUE } from '@edgefleet/distillation-worker';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { ApiClient, profile } from '../testing/factories';
import { syntheticCsv, uploadCsvDataset } from '../distillations/testing/distillation-fixtures';
import { DeploymentsService } from '../deployments/deployment.service';
import { AutopilotScheduler } from './autopilot.scheduler';
import { AutopilotService } from './autopilot.service';
import { mlpModel } from './testing/mlp-model';

const FEATURES = 8;
const CLASSES = 3;

const mlp = (hidden: number) => mlpModel(FEATURES, hidden, CLASSES);

describe('fleet targets and the autopilot (PGlite)', () => {
  let dataDir: string;
  let cp: ControlPlane;
  let api: ApiClient;
  let prisma: PrismaClient;
  let autopilot: AutopilotService;
  let datasetId: string;
  let big: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-autopilot-'));
    // Long interval and watch: the test drives reconciles itself; no embedded worker, so queued jobs stay queued.
    cp = await startControlPlane({
      PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir, AUTOPILOT_INTERVAL_MS: '3600000', AUTOPILOT_WATCH_MS: '3600000', EMBEDDED_WORKER: 'false',
    });
    api = new ApiClient(cp.httpUrl, cp.adminApiKey);
    prisma = cp.app.get(PrismaClient);
    autopilot = cp.app.get(AutopilotService);
    for (const d of [{ id: 'pi-1', tags: ['site-a'] }, { id: 'pi-2', tags: ['site-a'] }, { id: 'gw-1', tags: ['site-b'], profile: profile({ name: 'gateway', arch: 'x64', cores: 4, clockMhz: 2500, simd: ['avx2'] }) }]) {
      const res = await api.post('/api/v1/devices', { profile: profile(), ...d });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const up = await api.uploadModel({ name: 'mlp-64', version: '1', precision: 'fp32', family: 'fam' }, mlp(64));
    assert.equal(up.status, 201, JSON.stringify(up.body));
    big = up.body.id;
    await prisma.modelArtifact.update({ where: { id: big }, data: { metrics: { accuracy: 0.9 } } });
    // What devices would have reported for it: 2 ms on the Pi class, 0.4 ms on the gateway (3 each: "measured").
    for (const [deviceId, p95] of [['pi-1', 2], ['pi-2', 2], ['gw-1', 0.4], ['gw-1', 0.4], ['gw-1', 0.4]] as const) {
      await prisma.benchmarkReport.create({ data: { deviceId, artifactId: big, latencyP95Ms: p95, peakRssMb: 80, modelMemoryMb: 20, accuracy: 0.9, runs: 50, passed: true, details: {} } });
    }
    const ds = await uploadCsvDataset(api, 'synthetic', syntheticCsv());
    datasetId = ds.body.id;
  });

  after(async () => {
    await cp?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const classOf = async (deviceId: string) => (await api.get(`/api/v1/devices/${deviceId}`)).body.profileClass as string;
  const stateOf = async (targetId: string, cls: string) => (await api.get(`/api/v1/targets/${targetId}`)).body.classes.find((c: any) => c.profileClass === cls);

  it('validates targets and lists them', async () => {
    const bad = await api.post('/api/v1/targets', { name: 'x y', family: 'fam', selector: {}, budget: { maxLatencyP95Ms: -1 } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /maxLatencyP95Ms/);
    assert.equal((await api.post('/api/v1/targets', { name: 'nobudget', family: 'fam', selector: {} })).status, 400);
    // Text distill settings are checked when the target is made, as POST /distillations checks them, not when its
    // first job is queued (that would be a 201 now and a failed class later).
    const jsonl = (rows: string[][]) => rows.map(([text, label]) => JSON.stringify({ text, label })).join('\n') + '\n';
    const form = new FormData();
    form.set('name', 'tiny-text');
    form.set('train', new Blob([jsonl([['guten Tag', 'deu'], ['bonjour', 'fra'], ['danke schön', 'deu'], ['merci bien', 'fra']])]), 'train.jsonl');
    form.set('test', new Blob([jsonl([['hallo', 'deu'], ['salut', 'fra']])]), 'test.jsonl');
    const textSet = await api.request('POST', '/api/v1/datasets', form);
    assert.equal(textSet.status, 201, JSON.stringify(textSet.body));
    // Its selector matches no device: a target that passes validation is reconciled at once, and on a busy host
    // that reconcile can deploy mlp-64 before the DELETE below lands — leaving a deployment the next tests count.
    const target = (distill: Record<string, unknown>) => api.post('/api/v1/targets', { name: 'text', family: 'fam', selector: { tags: ['no-such-site'] }, budget: { maxLatencyP95Ms: 5 }, distill });
    const text = (distill: Record<string, unknown>) => target({ datasetId: textSet.body.id, ...distill });
    const badFeaturizer = await text({ textTeacher: 'use-lite', featurizer: { id: 'hashed-ngrams', version: 99 } });
    assert.equal(badFeaturizer.status, 422, JSON.stringify(badFeaturizer.body));
    assert.match(badFeaturizer.body.message, /featurizer/);
    const remote = await text({ textTeacher: 'openai:http://teacher.invalid/v1#m' });
    assert.equal(remote.status, 422, JSON.stringify(remote.body));
    assert.match(remote.body.message, /TEXT_TEACHER_ORIGINS/);
    // The rest of the job's source, as POST /distillations judges it: the data set exists, a text data set has a text
    // teacher, an image/tabular one takes none.
    const missing = await target({ datasetId: '00000000-0000-4000-8000-000000000000' });
    assert.equal(missing.status, 422, JSON.stringify(missing.body));
    assert.match(missing.body.message, /dataset 00000000-0000-4000-8000-000000000000 does not exist/);
    const noTeacher = await text({});
    assert.equal(noTeacher.status, 422, JSON.stringify(noTeacher.body));
    assert.match(noTeacher.body.message, /is text: give a textTeacher/);
    const textOnTable = await target({ datasetId, textTeacher: 'use-lite' });
    assert.equal(textOnTable.status, 422, JSON.stringify(textOnTable.body));
    assert.match(textOnTable.body.message, /textTeacher and featurizer are for text data sets/);
    const ok = await text({ textTeacher: 'fasttext-lid' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal((await api.request('DELETE', `/api/v1/targets/${ok.body.id}`)).status, 204);
    await cp.app.get(AutopilotScheduler).idle();
    assert.equal(await prisma.deployment.count(), 0, 'validation made no deployment');
    assert.equal((await api.get('/api/v1/targets/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await new ApiClient(cp.httpUrl).get('/api/v1/targets')).status, 401);
  });

  it('an impossible budget ends infeasible with the closest candidate, and queues no job however often it is reconciled', async () => {
    const res = await api.post('/api/v1/targets', { name: 'impossible', family: 'fam', selector: { tags: ['site-a'] }, budget: { maxLatencyP95Ms: 0.00001 }, distill: { datasetId } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const cls = await classOf('pi-1');
    for (let i = 0; i < 3; i++) {
      const out = await autopilot.reconcilePair(res.body.id, cls);
      assert.equal(out.kind, 'done');
    }
    const s = await stateOf(res.body.id, cls);
    assert.equal(s.status, 'infeasible', JSON.stringify(s));
    assert.equal(s.decision, 'no-feasible-student');
    assert.match(s.reason, /no feasible student/);
    assert.equal(s.details.closest.artifactId, big);
    assert.equal(s.distillationJobId, null);
    assert.equal(await prisma.job.count({ where: { queue: DISTILLATION_QUEUE } }), 0, 'no distillation queued');
    assert.equal(await prisma.deployment.count(), 0);
    assert.equal((await api.delete(`/api/v1/targets/${res.body.id}`)).status, 204);
  });

  it('a loose budget deploys the variant to the class\'s devices once (gates = the budget the devices can measure)', async () => {
    const res = await api.post('/api/v1/targets', { name: 'loose', family: 'fam', selector: { tags: ['site-a'] }, budget: { maxLatencyP95Ms: 500, minAccuracy: 0.5 } });
    const cls = await classOf('pi-1');
    await autopilot.reconcilePair(res.body.id, cls);
    await autopilot.reconcilePair(res.body.id, cls);
    const s = await stateOf(res.body.id, cls);
    assert.equal(s.status, 'deploying', JSON.stringify(s));
    assert.equal(s.chosenArtifactId, big);
    const deps = await prisma.deployment.findMany({ include: { devices: true } });
    assert.equal(deps.length, 1, 'the second reconcile saw the unfinished deployment');
    assert.deepEqual(deps[0]!.devices.map((d) => d.deviceId).sort(), ['pi-1', 'pi-2']);
    // mlp-64 has no eval set, so no device could measure minAccuracy (a deployment with it would be rejected
    // everywhere): the autopilot judged it at selection on the catalogue's 0.9 and leaves it out of the gates.
    assert.deepEqual(deps[0]!.gates, { maxLatencyP95Ms: 500 });
    // Both devices reject it: it is never deployed to this class again, and without distill settings the pair stops.
    await prisma.deploymentDevice.updateMany({ where: { deploymentId: deps[0]!.id }, data: { state: 'rejected' } });
    await autopilot.reconcilePair(res.body.id, cls);
    const after = await stateOf(res.body.id, cls);
    assert.equal(after.status, 'rejected', JSON.stringify(after));
    assert.deepEqual(after.details.rejectedArtifactIds, [big]);
    assert.equal(await prisma.deployment.count(), 1);
    await api.delete(`/api/v1/targets/${res.body.id}`);
  });

  it('when nothing fits, one distillation is queued per student even with reconciles racing', async () => {
    const res = await api.post('/api/v1/targets', { name: 'tight', family: 'fam', selector: { tags: ['site-b'] }, budget: { maxLatencyP95Ms: 0.2 }, distill: { datasetId, epochs: 3 } });
    const cls = await classOf('gw-1');
    const rec = (await api.get(`/api/v1/profiles/${cls}/recommendation?family=fam&maxLatencyP95Ms=0.2`)).body;
    assert.equal(rec.decision, 'distill-student', JSON.stringify(rec.reasons));
    const outcomes = await Promise.all([autopilot.reconcilePair(res.body.id, cls), autopilot.reconcilePair(res.body.id, cls), autopilot.reconcilePair(res.body.id, cls)]);
    assert.ok(outcomes.some((o) => o.kind === 'done'));
    await autopilot.reconcilePair(res.body.id, cls);
    const jobs = await prisma.job.findMany({ where: { queue: DISTILLATION_QUEUE } });
    assert.equal(jobs.length, 1, `jobs: ${jobs.length}`);
    assert.deepEqual((jobs[0]!.payload as any).students, [rec.student.student]);
    assert.equal((jobs[0]!.payload as any).family, 'fam');
    const s = await stateOf(res.body.id, cls);
    assert.equal(s.status, 'distilling');
    assert.equal(s.distillationJobId, jobs[0]!.id);
    // The job fails for good: the pair is failed with the reason and nothing is queued again.
    await prisma.job.update({ where: { id: jobs[0]!.id }, data: { status: 'failed', error: 'DatasetError: broken' } });
    await autopilot.reconcilePair(res.body.id, cls);
    const failed = await stateOf(res.body.id, cls);
    assert.equal(failed.status, 'failed');
    assert.match(failed.reason, /DatasetError: broken; not retried/);
    assert.equal(await prisma.job.count({ where: { queue: DISTILLATION_QUEUE } }), 1);
  });

  it('an operator can pin a device (the autopilot deploys nothing to it) and pause / resume a target', async () => {
    const scheduler = cp.app.get(AutopilotScheduler);
    assert.equal((await api.request('PUT', '/api/v1/pins/nope', {})).status, 404);
    assert.equal((await api.request('PUT', '/api/v1/pins/pi-2', { reason: 'x'.repeat(501) })).status, 400);
    const pin = await api.request('PUT', '/api/v1/pins/pi-2', { reason: 'field test' });
    assert.equal(pin.status, 200, JSON.stringify(pin.body));
    assert.deepEqual([pin.body.deviceId, pin.body.reason], ['pi-2', 'field test']);
    assert.equal((await api.get('/api/v1/pins')).body.total, 1);
    const before = await prisma.deployment.count();
    const res = await api.post('/api/v1/targets', { name: 'held', family: 'fam', selector: { tags: ['site-a'] }, budget: { maxLatencyP95Ms: 500 } });
    assert.equal(res.status, 201);
    await scheduler.idle();
    const first = await prisma.deployment.findMany({ where: { createdBy: `autopilot:${res.body.id}` }, include: { devices: true } });
    assert.deepEqual(first.flatMap((d) => d.devices.map((r) => r.deviceId)), ['pi-1'], 'the pinned device is left alone');

    const paused = await api.post(`/api/v1/targets/${res.body.id}/pause`, {});
    assert.equal(paused.status, 200);
    assert.equal(paused.body.paused, true);
    assert.equal((await api.delete('/api/v1/pins/pi-2')).status, 204);
    await scheduler.idle();
    assert.deepEqual(await autopilot.reconcilePair(res.body.id, await classOf('pi-2')), { kind: 'paused' });
    assert.equal(await prisma.deployment.count(), before + 1, 'a paused target deploys nothing, even to a device just unpinned');

    const resumed = await api.post(`/api/v1/targets/${res.body.id}/resume`, {});
    assert.equal(resumed.body.paused, false);
    await scheduler.idle();
    const all = await prisma.deployment.findMany({ where: { createdBy: `autopilot:${res.body.id}` }, include: { devices: true }, orderBy: { createdAt: 'asc' } });
    assert.deepEqual(all.map((d) => d.devices.map((r) => r.deviceId)), [['pi-1'], ['pi-2']], 'resumed: the unpinned device gets the class\'s variant');
    assert.equal((await api.post('/api/v1/targets/00000000-0000-4000-8000-000000000000/pause', {})).status, 404);
    assert.equal((await api.delete('/api/v1/pins/pi-2')).status, 404);
    await api.delete(`/api/v1/targets/${res.body.id}`);
  });

  it('a target deleted or paused, or its lease taken over, while its reconcile decides deploys nothing', async () => {
    const scheduler = cp.app.get(AutopilotScheduler);
    await scheduler.idle();
    const deployments = cp.app.get(DeploymentsService);
    const cls = await classOf('gw-1');
    const before = await prisma.deployment.count();
    // Whatever happens between the reconcile's decision and its deployment's transaction (the reconcile that the
    // target's creation starts at once reaches it here).
    let interfere: ((targetId: string) => Promise<void>) | undefined;
    const real = deployments.create;
    deployments.create = async function (this: DeploymentsService, input, actor, fence) {
      await interfere?.(actor.replace(/^autopilot:/, ''));
      return real.call(this, input, actor, fence);
    };
    const loose = (name: string) => api.post('/api/v1/targets', { name, family: 'fam', selector: { tags: ['site-b'] }, budget: { maxLatencyP95Ms: 500 } });
    const raced = async (name: string, what: (targetId: string) => Promise<void>) => {
      interfere = what;
      const res = await loose(name);
      assert.equal(res.status, 201);
      await scheduler.idle();
      interfere = undefined;
      assert.equal(await prisma.deployment.count(), before, `${name}: nothing deployed`);
      return res.body.id as string;
    };
    try {
      const deleted = await raced('deleted-mid-reconcile', async (id) => assert.equal((await api.delete(`/api/v1/targets/${id}`)).status, 204));
      assert.equal((await api.get(`/api/v1/targets/${deleted}`)).status, 404);

      // Another control plane's lease on the pair by the time the deployment would be written.
      const taken = await raced('taken-over', async (id) => {
        await prisma.targetClassState.updateMany({ where: { targetId: id }, data: { leaseOwner: 'cp-other', leaseExpiresAt: new Date(Date.now() + 600_000) } });
      });
      const row = await prisma.targetClassState.findUniqueOrThrow({ where: { targetId_profileClass: { targetId: taken, profileClass: cls } } });
      assert.equal(row.leaseOwner, 'cp-other', 'the new owner\'s lease is left alone');
      await api.delete(`/api/v1/targets/${taken}`);

      const paused = await raced('paused-mid-reconcile', async (id) => assert.equal((await api.post(`/api/v1/targets/${id}/pause`, {})).status, 200));
      // Resumed: the same pair deploys (so the three cases above had something to deploy).
      assert.equal((await api.post(`/api/v1/targets/${paused}/resume`, {})).status, 200);
      await scheduler.idle();
      const made = await prisma.deployment.findMany({ where: { createdBy: `autopilot:${paused}` }, include: { devices: true } });
      assert.deepEqual(made.map((d) => [d.artifactId, d.devices.map((r) => r.deviceId)]), [[big, ['gw-1']]]);
      assert.equal(await prisma.deployment.count(), before + 1);
      await api.delete(`/api/v1/targets/${paused}`);
    } finally {
      deployments.create = real;
    }
  });
});
