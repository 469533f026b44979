/**
 * Integration: segments and the rollouts API over REST on the whole control plane with PGlite — the selector
 * grammar (AND over criteria, OR within), the preview, validation, roles, operator actions and the audit trail.
 * No agents here: the rollouts' behaviour with devices is test/src/rollouts.e2e.ts (200 simulated devices).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrismaClient } from '@edgefleet/db';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { ApiClient, profile } from '../testing/factories';
import { mlpModel } from '../autopilot/testing/mlp-model';

describe('segments and the rollouts API (PGlite)', () => {
  let dataDir: string;
  let cp: ControlPlane;
  let api: ApiClient;
  let prisma: PrismaClient;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-segments-'));
    // The rollout driver is off: these tests look at the API; the driver is exercised with devices in the e2e test.
    cp = await startControlPlane({ PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir, AUTOPILOT_INTERVAL_MS: '3600000', EMBEDDED_WORKER: 'false', ROLLOUT_DRIVER_ENABLED: 'false' });
    api = new ApiClient(cp.httpUrl, cp.adminApiKey);
    prisma = cp.app.get(PrismaClient);
    const gateway = profile({ name: 'gateway', arch: 'x64', cores: 4, clockMhz: 2500, simd: ['avx2'] });
    for (const d of [
      { id: 'seg-pi-1', tags: ['site-a', 'cam'] }, { id: 'seg-pi-2', tags: ['site-a'] }, { id: 'seg-pi-3', tags: ['site-b', 'cam'] },
      { id: 'seg-gw-1', tags: ['site-a', 'cam'], profile: gateway }, { id: 'seg-gw-2', tags: ['site-b'], profile: gateway },
    ]) {
      const res = await api.post('/api/v1/devices', { profile: profile(), ...d });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    await prisma.device.update({ where: { id: 'seg-pi-2' }, data: { agentVersion: '2.0.0' } });
  });

  after(async () => {
    await cp?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const classOf = async (id: string) => (await api.get(`/api/v1/devices/${id}`)).body.profileClass as string;
  const preview = async (selector: unknown) => {
    const res = await api.post('/api/v1/segments/preview', { selector });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { count: number; classes: Record<string, number>; sample: Array<{ id: string }> };
  };

  it('previews a selector: AND over the criteria, OR within one, with counts per class and a sample', async () => {
    const pi = await classOf('seg-pi-1');
    const gw = await classOf('seg-gw-1');
    const all = await preview({ deviceIds: ['seg-pi-1', 'seg-pi-2', 'seg-pi-3', 'seg-gw-1', 'seg-gw-2'] });
    assert.equal(all.count, 5);
    assert.deepEqual(all.classes, { [pi]: 3, [gw]: 2 });
    const camOnSiteA = await preview({ tags: ['cam'], deviceIds: ['seg-pi-1', 'seg-pi-2', 'seg-gw-1', 'seg-gw-2'] });
    assert.deepEqual(camOnSiteA.sample.map((d) => d.id), ['seg-gw-1', 'seg-pi-1']);
    const gwOnSiteB = await preview({ profileClasses: [gw], tags: ['site-b'] });
    assert.deepEqual(gwOnSiteB.sample.map((d) => d.id), ['seg-gw-2']);
    const v2 = await preview({ agentVersions: ['2.0.0'] });
    assert.deepEqual(v2.sample.map((d) => d.id), ['seg-pi-2']);
    const noModel = await preview({ activeArtifactIds: ['none'], tags: ['site-b'], excludeDeviceIds: ['seg-gw-2'] });
    assert.deepEqual(noModel.sample.map((d) => d.id), ['seg-pi-3']);
  });

  it('saves, reads, changes and deletes a segment, audited; refuses bad input and duplicate names', async () => {
    const created = await api.post('/api/v1/segments', { name: 'site-a', selector: { tags: ['site-a'] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    assert.equal((await api.post('/api/v1/segments', { name: 'site-a', selector: {} })).status, 409);
    const bad = await api.post('/api/v1/segments', { name: 'x y', selector: { tags: 'site-a', deviceIds: ['no/slash'] } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /tags/);
    assert.match(JSON.stringify(bad.body), /device id/);
    const got = await api.get(`/api/v1/segments/${id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.selector, { tags: ['site-a'] });
    assert.equal(got.body.preview.count >= 3, true);
    const patched = await api.patch(`/api/v1/segments/${id}`, { selector: { tags: ['site-a'], agentVersions: ['2.0.0'] } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual((await api.get(`/api/v1/segments/${id}`)).body.preview.sample.map((d: { id: string }) => d.id), ['seg-pi-2']);
    const page = await api.get('/api/v1/segments?limit=1');
    assert.equal(page.status, 200);
    assert.equal(page.body.limit, 1);
    assert.equal(page.body.items.length, 1);
    assert.equal((await api.delete(`/api/v1/segments/${id}`)).status, 204);
    assert.equal((await api.get(`/api/v1/segments/${id}`)).status, 404);
    const audit = await prisma.auditEvent.findMany({ where: { entityType: 'segment', entityId: id }, orderBy: { at: 'asc' } });
    assert.deepEqual(audit.map((a) => a.action), ['segment.create', 'segment.update', 'segment.delete']);
  });

  it('viewers read and preview, only operators write; no key is refused', async () => {
    const key = await api.post('/api/v1/api-keys', { name: 'seg-viewer', role: 'viewer' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const viewer = api.withKey(key.body.key);
    assert.equal((await viewer.get('/api/v1/segments')).status, 200);
    assert.equal((await viewer.post('/api/v1/segments/preview', { selector: {} })).status, 200);
    assert.equal((await viewer.post('/api/v1/segments', { name: 'nope', selector: {} })).status, 403);
    assert.equal((await api.withKey(undefined).get('/api/v1/segments')).status, 401);
  });

  it('rollouts: validates the request, refuses unknown references and timeout retries without a timeout, and moves only by allowed actions', async () => {
    const up = await api.uploadModel({ name: 'ro-mlp', version: '1', precision: 'fp32' }, mlpModel(8, 16, 3));
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const seg = await api.post('/api/v1/segments', { name: 'ro-seg', selector: { tags: ['site-a'] } });
    const body = { name: 'ro-1', what: { artifactId: up.body.id }, segmentId: seg.body.id, waves: [{ percent: 10 }, { percent: 100 }] };
    const bad = await api.post('/api/v1/rollouts', {
      ...body, what: {}, waves: [{ percent: 0, startAt: 'soon' }], rate: { perMinute: 0 }, abort: { failurePercent: 120, minDevices: 0, action: 'explode' },
      window: { start: '25:00', end: '04:00' }, retries: { failed: 11, backoffSec: 0, perMinute: 0 },
    });
    assert.equal(bad.status, 400);
    for (const field of ['artifactId', 'percent', 'startAt', 'perMinute', 'failurePercent', 'minDevices', 'action', 'start must be HH:MM', 'failed', 'backoffSec', 'retries.perMinute']) {
      assert.match(JSON.stringify(bad.body), new RegExp(field));
    }
    const noTimeout = await api.post('/api/v1/rollouts', { ...body, retries: { timedOut: 2 } });
    assert.equal(noTimeout.status, 422);
    assert.match(noTimeout.body.message, /retries.timedOut needs inProgressTimeoutMin/);
    assert.equal((await api.post('/api/v1/rollouts', { ...body, segmentId: '00000000-0000-4000-8000-000000000000' })).status, 422);
    assert.equal((await api.post('/api/v1/rollouts', { ...body, what: { artifactId: '00000000-0000-4000-8000-000000000000' } })).status, 422);
    const created = await api.post('/api/v1/rollouts', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, 'scheduled');
    const id = created.body.id as string;
    assert.equal((await api.post(`/api/v1/rollouts/${id}/approve`, {})).status, 409);
    assert.equal((await api.post(`/api/v1/rollouts/${id}/resume`, {})).status, 409);
    const paused = await api.post(`/api/v1/rollouts/${id}/pause`, { note: 'not yet' });
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    assert.equal(paused.body.state, 'paused');
    assert.equal((await api.post(`/api/v1/rollouts/${id}/resume`, {})).body.state, 'scheduled', 'a rollout paused before it started goes back to scheduled');
    assert.equal((await api.post(`/api/v1/rollouts/${id}/cancel`, {})).body.state, 'cancelled');
    assert.equal((await api.post(`/api/v1/rollouts/${id}/rollback`, {})).status, 409);
    const detail = await api.get(`/api/v1/rollouts/${id}`);
    assert.deepEqual(detail.body.decisions.map((d: { action: string }) => d.action), ['pause', 'resume', 'cancel']);
    assert.match(detail.body.decisions[0].reason, /pause by apikey:.*: not yet/);
    assert.equal((await api.get('/api/v1/rollouts?state=cancelled')).body.total, 1);
    assert.equal((await api.get('/api/v1/rollouts/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await api.delete(`/api/v1/segments/${seg.body.id}`)).status, 409, 'a segment a rollout refers to stays');
    const audit = await prisma.auditEvent.findMany({ where: { entityType: 'rollout', entityId: id }, orderBy: { at: 'asc' } });
    assert.deepEqual(audit.map((a) => a.action), ['rollout.create', 'rollout.decision', 'rollout.decision', 'rollout.decision']);
    const key = await api.post('/api/v1/api-keys', { name: 'ro-viewer', role: 'viewer' });
    const viewer = api.withKey(key.body.key);
    assert.equal((await viewer.get(`/api/v1/rollouts/${id}`)).status, 200);
    assert.equal((await viewer.post('/api/v1/rollouts', body)).status, 403);
    assert.equal((await viewer.post(`/api/v1/rollouts/${id}/pause`, {})).status, 403);
    // Its telemetry per model: a viewer reads it; a bad range is a 400, an unknown rollout a 404. With no device
    // notified, the new model has an empty series and no model ran before.
    const range = (from: string, to: string) => `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const tele = await viewer.get(`/api/v1/rollouts/${id}/telemetry?${range('2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z')}`);
    assert.equal(tele.status, 200, JSON.stringify(tele.body));
    assert.deepEqual(tele.body, { resolution: '1m', devices: 0, models: [] }, 'a rollout cancelled before it started chose no model');
    assert.equal((await viewer.get(`/api/v1/rollouts/${id}/telemetry?${range('2026-01-01T01:00:00Z', '2026-01-01T00:00:00Z')}`)).status, 400);
    assert.equal((await viewer.get(`/api/v1/rollouts/${id}/telemetry?${range('2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z')}&resolution=raw`)).status, 400);
    assert.equal((await viewer.get(`/api/v1/rollouts/00000000-0000-4000-8000-000000000000/telemetry?${range('2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z')}`)).status, 404);
  });
});
