/**
 * Integration: the operator's hand on the fleet — cancelling a deployment, deleting models and data sets, reading
 * the audit log — on the whole control plane with PGlite and its embedded broker. No agents: a device's report goes
 * in through the same service call its MQTT handler makes (DeploymentsService.recordReport), so the rows are exact.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROTOCOL_VERSION, type ReportMessage } from '@edgefleet/contracts';
import { ModelRepository } from '@edgefleet/catalog';
import { startControlPlane, type ControlPlane } from './bootstrap';
import { DeploymentsService } from './deployments/deployment.service';
import { ApiClient, deviceBody, tinyClassifier } from './testing/factories';
import { syntheticCsv, uploadCsvDataset } from './distillations/testing/distillation-fixtures';

describe('operator control (PGlite)', () => {
  let dataDir: string;
  let cp: ControlPlane;
  let api: ApiClient;
  let viewer: ApiClient;
  let deployments: DeploymentsService;
  const models: Record<'a' | 'b', { id: string; sha256: string }> = {} as never;

  const activated = (deploymentId: string, sha256: string): ReportMessage => ({
    v: PROTOCOL_VERSION, deploymentId, artifactSha256: sha256, outcome: 'activated',
    latency: { p50Ms: 1, p95Ms: 2, p99Ms: 3, meanMs: 1.2, minMs: 0.9, maxMs: 4 }, runs: 20, warmupRuns: 2, inputSource: 'synthetic',
    gateResults: [], simulated: false, measuredAt: new Date().toISOString(),
  });
  const deploy = async (artifactId: string, deviceIds: string[]) => {
    const res = await api.post('/api/v1/deployments', { artifactId, deviceIds });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-operator-'));
    cp = await startControlPlane({
      PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir, AUTOPILOT_INTERVAL_MS: '3600000', AUTOPILOT_WATCH_MS: '3600000', EMBEDDED_WORKER: 'false',
    });
    api = new ApiClient(cp.httpUrl, cp.adminApiKey);
    const key = await api.post('/api/v1/api-keys', { name: 'dashboard', role: 'viewer' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    viewer = api.withKey(key.body.key);
    deployments = cp.app.get(DeploymentsService);
    for (const id of ['op-1', 'op-2', 'op-3']) assert.equal((await api.post('/api/v1/devices', deviceBody({ id }))).status, 201);
    for (const [k, seed] of [['a', 1], ['b', 2]] as const) {
      const up = await api.uploadModel({ name: `op-${k}`, version: '1', precision: 'fp32' }, tinyClassifier(4, 3, seed));
      assert.equal(up.status, 201, JSON.stringify(up.body));
      models[k] = { id: up.body.id, sha256: up.body.sha256 };
    }
  });

  after(async () => {
    await cp?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('cancel: devices that have not activated stop, and every device goes back to the model it ran before', async () => {
    const first = await deploy(models.a.id, ['op-1', 'op-2']);
    for (const d of ['op-1', 'op-2']) await deployments.recordReport(d, activated(first, models.a.sha256));
    const second = await deploy(models.b.id, ['op-1', 'op-2', 'op-3']);
    await deployments.recordReport('op-1', activated(second, models.b.sha256)); // op-1 runs b now; op-2 and op-3 are still installing it

    assert.equal((await viewer.post(`/api/v1/deployments/${second}/cancel`)).status, 403, 'a viewer cannot cancel');
    assert.equal((await api.post('/api/v1/deployments/00000000-0000-4000-8000-000000000000/cancel')).status, 404);
    const res = await api.post(`/api/v1/deployments/${second}/cancel`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.deployment.status, 'cancelled');
    const rows = Object.fromEntries(res.body.deployment.devices.map((d: any) => [d.deviceId, d.state]));
    assert.deepEqual(rows, { 'op-1': 'active', 'op-2': 'superseded', 'op-3': 'superseded' });
    // op-1 (activated b) and op-2 (was installing b) both ran a: one deployment gives it back; op-3 ran nothing.
    assert.equal(res.body.reverts.length, 1);
    const revert = res.body.reverts[0];
    assert.equal(revert.artifact.id, models.a.id);
    assert.deepEqual(revert.devices.map((d: any) => [d.deviceId, d.state]), [['op-1', 'pending'], ['op-2', 'pending']]);
    assert.deepEqual(revert.gates, {});
    await deployments.recordReport('op-1', activated(revert.id, models.a.sha256));
    assert.equal((await api.get('/api/v1/devices/op-1')).body.activeArtifactId, models.a.id, 'op-1 runs a again');

    const again = await api.post(`/api/v1/deployments/${second}/cancel`);
    assert.equal(again.status, 409);
    assert.match(again.body.message, /cancelled/);
    assert.equal((await api.get(`/api/v1/deployments/${second}`)).body.status, 'cancelled', 'a late report does not reopen it');
  });

  it('deleting a model: refused while in use with every user listed; otherwise its finished history goes with it', async () => {
    // a: op-1 runs it again, op-2 is still getting it back (the revert deployment is in progress).
    const busy = await api.delete(`/api/v1/models/${models.a.id}`);
    assert.equal(busy.status, 409, JSON.stringify(busy.body));
    assert.match(busy.body.message, /device op-1 \(runs it\)/);
    assert.ok(busy.body.details.some((d: string) => /^deployment .* \(in progress\)$/.test(d)), JSON.stringify(busy.body.details));
    assert.equal((await api.get(`/api/v1/models/${models.a.id}`)).status, 200, 'still there');

    // b: nobody runs it; its one deployment (cancelled) is history.
    assert.equal((await viewer.delete(`/api/v1/models/${models.b.id}`)).status, 403);
    const cancelled = (await api.get('/api/v1/deployments?status=cancelled')).body.items[0].id;
    assert.equal((await api.delete(`/api/v1/models/${models.b.id}`)).status, 204);
    assert.equal((await api.get(`/api/v1/models/${models.b.id}`)).status, 404);
    assert.equal((await api.get(`/api/v1/deployments/${cancelled}`)).status, 404, 'its finished deployment went with it');
    assert.equal((await api.delete(`/api/v1/models/${models.b.id}`)).status, 404);
    const audit = (await api.get(`/api/v1/audit?action=model.delete&entityId=${models.b.id}`)).body.items;
    assert.equal(audit[0].details.finishedDeploymentsDeleted, 1);
  });

  it('deleting a data set: refused while a queued distillation or a target uses it', async () => {
    const ds = await uploadCsvDataset(api, 'op-data', syntheticCsv());
    const datasetId = ds.body.id as string;
    const job = await api.post('/api/v1/distillations', { datasetId, students: ['mlp:4'] });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    const target = await api.post('/api/v1/targets', { name: 'op-target', family: 'none', selector: { tags: ['nowhere'] }, budget: { maxLatencyP95Ms: 5 }, distill: { datasetId } });
    assert.equal(target.status, 201, JSON.stringify(target.body));
    const busy = await api.delete(`/api/v1/datasets/${datasetId}`);
    assert.equal(busy.status, 409);
    assert.deepEqual(busy.body.details, [`distillation ${job.body.id}`, 'target op-target']);
    assert.equal((await api.post(`/api/v1/distillations/${job.body.id}/cancel`)).status, 200);
    assert.equal((await api.delete(`/api/v1/targets/${target.body.id}`)).status, 204);
    assert.equal((await api.delete(`/api/v1/datasets/${datasetId}`)).status, 204);
    assert.equal((await api.get(`/api/v1/datasets/${datasetId}`)).status, 404);
    assert.equal((await api.delete(`/api/v1/datasets/${datasetId}`)).status, 404);
  });

  it('a model whose bytes two rows share resolves to the row the device was known to run (a restart does not "change" its model)', async () => {
    const bytes = tinyClassifier(4, 3, 9);
    const older = await api.uploadModel({ name: 'twin', version: '1', precision: 'fp32' }, bytes);
    const newer = await api.uploadModel({ name: 'twin', version: '2', precision: 'fp32' }, bytes);
    assert.equal(older.body.sha256, newer.body.sha256);
    const repo = cp.app.get(ModelRepository);
    assert.equal((await repo.findBySha256(older.body.sha256))?.id, newer.body.id, 'no preference: the newest');
    assert.equal((await repo.findBySha256(older.body.sha256, older.body.id))?.id, older.body.id);
    assert.equal((await repo.findBySha256(older.body.sha256, models.a.id))?.id, newer.body.id, 'a preference for other bytes does not count');
  });

  it('the audit log: filtered by action, subject, actor and time, paged, newest first; operators only', async () => {
    const cancels = await api.get('/api/v1/audit?action=deployment.cancel');
    assert.equal(cancels.status, 200, JSON.stringify(cancels.body));
    assert.equal(cancels.body.total, 1);
    const [event] = cancels.body.items;
    assert.equal(event.entityType, 'deployment');
    assert.deepEqual(event.details.stopped, ['op-2', 'op-3']);
    const subject = await api.get(`/api/v1/audit?entityType=deployment&entityId=${event.entityId}`);
    assert.deepEqual(subject.body.items.map((e: any) => e.action), ['deployment.cancel', 'deployment.report', 'deployment.create'], 'newest first');
    const byActor = await api.get(`/api/v1/audit?actor=${encodeURIComponent(event.actor)}&limit=2`);
    assert.equal(byActor.body.items.length, 2);
    assert.ok(byActor.body.total > 2, 'the total counts every page');
    assert.ok(byActor.body.items.every((e: any) => e.actor === event.actor));
    const next = await api.get(`/api/v1/audit?actor=${encodeURIComponent(event.actor)}&limit=2&offset=2`);
    assert.equal(next.body.items.filter((e: any) => byActor.body.items.some((p: any) => p.id === e.id)).length, 0, 'pages do not overlap');
    assert.equal((await api.get(`/api/v1/audit?action=deployment.cancel&to=${encodeURIComponent(event.at)}`)).body.total, 0, '`to` is exclusive');
    assert.equal((await api.get(`/api/v1/audit?action=deployment.cancel&from=${encodeURIComponent(event.at)}`)).body.total, 1, '`from` is inclusive');
    // Holding the autopilot off is audited too.
    const target = await api.post('/api/v1/targets', { name: 'op-held', family: 'none', selector: { tags: ['nowhere'] }, budget: { maxLatencyP95Ms: 5 } });
    assert.equal((await api.post(`/api/v1/targets/${target.body.id}/pause`)).status, 200);
    assert.equal((await api.post(`/api/v1/targets/${target.body.id}/resume`)).status, 200);
    assert.equal((await api.request('PUT', '/api/v1/pins/op-3', { reason: 'bench' })).status, 200);
    assert.equal((await api.delete('/api/v1/pins/op-3')).status, 204);
    const held = await api.get(`/api/v1/audit?entityType=target&entityId=${target.body.id}`);
    assert.deepEqual(held.body.items.map((e: any) => e.action), ['target.resume', 'target.pause']);
    const pins = await api.get('/api/v1/audit?entityType=device&entityId=op-3');
    assert.deepEqual(pins.body.items.map((e: any) => e.action).slice(0, 2), ['device.unpin', 'device.pin']);
    assert.equal((await api.get('/api/v1/audit?from=yesterday')).status, 400);
    assert.equal((await api.get('/api/v1/audit?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z')).status, 400);
    assert.equal((await viewer.get('/api/v1/audit')).status, 403);
    assert.equal((await new ApiClient(cp.httpUrl).get('/api/v1/audit')).status, 401);
  });
});
