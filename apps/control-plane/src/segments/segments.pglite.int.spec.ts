/**
 * Integration: segments over REST on the whole control plane with PGlite — the selector grammar (AND over
 * criteria, OR within), the preview, validation, roles and the audit trail.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrismaClient } from '@edgefleet/db';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { ApiClient, profile } from '../testing/factories';

describe('segments (PGlite)', () => {
  let dataDir: string;
  let cp: ControlPlane;
  let api: ApiClient;
  let prisma: PrismaClient;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-segments-'));
    cp = await startControlPlane({ PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir, AUTOPILOT_INTERVAL_MS: '3600000', EMBEDDED_WORKER: 'false' });
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
});
