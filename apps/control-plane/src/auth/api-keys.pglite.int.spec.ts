/**
 * API keys with roles against the whole control plane on PGlite: every role boundary, revocation (here at once,
 * by another control plane within API_KEY_RECHECK_MS), expiry, last-used time, the start-up rule for ADMIN_API_KEY
 * and generated keys, and refused logins audited in bursts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { PrismaClient } from '@edgefleet/db';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { AuditRepository, RefusalAudit } from '@edgefleet/platform';
import { ApiClient, deviceBody } from '../testing/factories';
import { IS_PUBLIC } from './public.decorator';
import { ROLES_KEY } from './roles';

const RECHECK_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('API keys and roles (PGlite)', () => {
  let dataDir: string;
  let cp: ControlPlane;
  let admin: ApiClient;

  const start = (env: Record<string, string> = {}) =>
    startControlPlane({ DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', API_KEY_RECHECK_MS: String(RECHECK_MS), EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false', ...env });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-keys-'));
    cp = await start();
    assert.equal(cp.adminApiKeyGenerated, true);
    admin = new ApiClient(cp.httpUrl, cp.adminApiKey);
  });
  after(async () => {
    await cp?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const newKey = async (role: string, extra: Record<string, unknown> = {}) => {
    const res = await admin.post('/api/v1/api-keys', { name: `${role} key`, role, ...extra });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; key: string; prefix: string; role: string };
  };

  it('every HTTP route declares its roles (@Roles) or is @Public', () => {
    const undeclared: string[] = [];
    let routes = 0;
    for (const mod of cp.app.get(ModulesContainer).values()) {
      for (const wrapper of mod.controllers.values()) {
        const cls = wrapper.metatype as (new (...a: unknown[]) => object) | undefined;
        if (!cls) continue;
        for (const name of Object.getOwnPropertyNames(cls.prototype)) {
          const handler = (cls.prototype as Record<string, unknown>)[name];
          if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
          routes++;
          const declared = [handler, cls].some((t) => Reflect.getMetadata(ROLES_KEY, t) !== undefined || Reflect.getMetadata(IS_PUBLIC, t) === true);
          if (!declared) undeclared.push(`${cls.name}.${name}`);
        }
      }
    }
    assert.ok(routes >= 25, `found only ${routes} routes`);
    assert.deepEqual(undeclared, []);
  });

  it('create shows the key once; the list shows prefix, role, dates and never the key or its hash', async () => {
    const created = await newKey('viewer');
    assert.match(created.key, /^efk_[0-9a-f]{12}_/);
    assert.equal(created.prefix, created.key.slice(0, 16));
    const list = await admin.get('/api/v1/api-keys');
    assert.equal(list.status, 200);
    const row = (list.body.items as Array<Record<string, unknown>>).find((k) => k.id === created.id)!;
    assert.deepEqual(Object.keys(row).sort(), ['createdAt', 'createdBy', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'role', 'source']);
    assert.equal(row.role, 'viewer');
    assert.ok(!JSON.stringify(list.body).includes(created.key.slice(16)), 'no secret in the listing');
    const bad = await admin.post('/api/v1/api-keys', { name: 'x', role: 'superuser' });
    assert.equal(bad.status, 400);
  });

  it('viewer reads only; operator changes the fleet but not keys; enroller neither reads nor changes the fleet', async () => {
    const viewer = admin.withKey((await newKey('viewer')).key);
    const operator = admin.withKey((await newKey('operator')).key);
    const enroller = admin.withKey((await newKey('enroller')).key);

    assert.equal((await viewer.get('/api/v1/devices')).status, 200);
    assert.equal((await viewer.get('/api/v1/models')).status, 200);
    assert.equal((await viewer.get('/api/v1/deployments')).status, 200);
    const refused = await viewer.post('/api/v1/devices', deviceBody());
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /role \(viewer\).*needs operator/);
    assert.equal((await viewer.post('/api/v1/deployments', { artifactId: 'x', tags: ['lab'] })).status, 403);
    assert.equal((await viewer.post('/api/v1/targets', {})).status, 403);
    assert.equal((await viewer.get('/api/v1/api-keys')).status, 403);

    const body = deviceBody();
    assert.equal((await operator.post('/api/v1/devices', body)).status, 201);
    assert.equal((await operator.patch(`/api/v1/devices/${body.id}`, { name: 'renamed' })).status, 200);
    assert.equal((await operator.get(`/api/v1/devices/${body.id}`)).body.name, 'renamed');
    assert.equal((await operator.get('/api/v1/api-keys')).status, 403);
    assert.equal((await operator.post('/api/v1/api-keys', { name: 'escalate', role: 'admin' })).status, 403);

    assert.equal((await enroller.get('/api/v1/devices')).status, 403);
    assert.equal((await enroller.post('/api/v1/devices', deviceBody())).status, 403);
    assert.equal((await enroller.delete(`/api/v1/devices/${body.id}`)).status, 403);
    assert.equal((await enroller.get('/api/v1/api-keys')).status, 403);
    assert.equal((await operator.delete(`/api/v1/devices/${body.id}`)).status, 204);
  });

  it('GET /api-keys/me tells any key its own role (the dashboard offers operator controls by it); no key, no answer', async () => {
    for (const role of ['viewer', 'operator', 'enroller', 'admin'] as const) {
      const k = await newKey(role);
      const me = await admin.withKey(k.key).get('/api/v1/api-keys/me');
      assert.equal(me.status, 200);
      assert.deepEqual({ id: me.body.id, role: me.body.role }, { id: k.id, role });
      // Revoked again: the start-up rule below counts the admin keys left.
      assert.equal((await admin.delete(`/api/v1/api-keys/${k.id}`)).status, 204);
    }
    assert.equal((await admin.withKey('not-a-key-of-this-control-plane').get('/api/v1/api-keys/me')).status, 401);
  });

  it('a revoked key is refused at once; revoking again is 404; both are audited', async () => {
    const k = await newKey('viewer');
    const client = admin.withKey(k.key);
    assert.equal((await client.get('/api/v1/devices')).status, 200); // now cached
    assert.equal((await admin.delete(`/api/v1/api-keys/${k.id}`)).status, 204);
    assert.equal((await client.get('/api/v1/devices')).status, 401);
    assert.equal((await admin.delete(`/api/v1/api-keys/${k.id}`)).status, 404);
    const events = await cp.app.get(AuditRepository).list('apikey', k.id);
    assert.deepEqual(events.map((e) => e.action), ['apikey.create', 'apikey.revoke']);
    const listed = await admin.get('/api/v1/api-keys?revoked=true');
    assert.ok((listed.body.items as Array<{ id: string; revokedAt: string | null }>).find((r) => r.id === k.id)?.revokedAt);
  });

  it('a key revoked by another control plane (straight in the database) is refused within API_KEY_RECHECK_MS', async () => {
    const k = await newKey('operator');
    const client = admin.withKey(k.key);
    assert.equal((await client.get('/api/v1/devices')).status, 200);
    await cp.app.get(PrismaClient).apiKey.update({ where: { id: k.id }, data: { revokedAt: new Date() } });
    await sleep(RECHECK_MS + 50);
    assert.equal((await client.get('/api/v1/devices')).status, 401);
  });

  it('a key stops working at its expiry; an expiry in the past is refused', async () => {
    const k = await newKey('viewer', { expiresAt: new Date(Date.now() + 1500).toISOString() });
    const client = admin.withKey(k.key);
    assert.equal((await client.get('/api/v1/devices')).status, 200);
    await sleep(1600);
    assert.equal((await client.get('/api/v1/devices')).status, 401);
    const past = await admin.post('/api/v1/api-keys', { name: 'late', role: 'viewer', expiresAt: new Date(Date.now() - 1000).toISOString() });
    assert.equal(past.status, 400);
  });

  it('lastUsedAt is written when a key is used', async () => {
    const k = await newKey('viewer');
    assert.equal((await admin.withKey(k.key).get('/api/v1/devices')).status, 200);
    let lastUsedAt: string | null = null;
    for (let i = 0; i < 50 && !lastUsedAt; i++) {
      await sleep(20);
      const list = await admin.get('/api/v1/api-keys?limit=500');
      lastUsedAt = (list.body.items as Array<{ id: string; lastUsedAt: string | null }>).find((r) => r.id === k.id)!.lastUsedAt;
    }
    assert.ok(lastUsedAt, 'lastUsedAt set');
  });

  it('refused logins become one audit row per client and window, with the count', async () => {
    const refusals = cp.app.get(RefusalAudit);
    await refusals.flush(); // refusals of the tests above
    // The rows there are now (not a time: the row just flushed can carry the very millisecond of a `new Date()` after it).
    const audit = cp.app.get(AuditRepository);
    const before = new Set((await audit.list('client', 'ip:127.0.0.1')).map((r) => r.id));
    for (let i = 0; i < 25; i++) assert.equal((await admin.withKey(`efk_000000000000_${'x'.repeat(43)}`).get('/api/v1/devices')).status, 401);
    assert.equal((await admin.withKey(undefined).get('/api/v1/devices')).status, 401);
    await refusals.flush();
    const rows = (await audit.list('client', 'ip:127.0.0.1')).filter((r) => !before.has(r.id));
    assert.equal(rows.length, 1);
    assert.equal((rows[0]!.details as { count: number }).count, 26);
  });

  it('start-up rule: ADMIN_API_KEY revokes the generated key; a changed or unset ADMIN_API_KEY revokes the old one', async () => {
    const generated = cp.adminApiKey!;
    const apiKey = (await newKey('viewer')).key;
    const probe = (key: string) => new ApiClient(cp.httpUrl, key).get('/api/v1/devices').then((r) => r.status);
    await cp.close();

    cp = await start({ ADMIN_API_KEY: 'first-admin-key-0123456789' });
    admin = new ApiClient(cp.httpUrl, cp.adminApiKey);
    assert.equal(await probe('first-admin-key-0123456789'), 200);
    assert.equal(await probe(generated), 401, 'the generated bootstrap key is revoked once ADMIN_API_KEY is set');
    assert.equal(await probe(apiKey), 200, 'keys created over the API stay');
    await cp.close();

    cp = await start({ ADMIN_API_KEY: 'second-admin-key-0123456789' });
    admin = new ApiClient(cp.httpUrl, cp.adminApiKey);
    assert.equal(await probe('second-admin-key-0123456789'), 200);
    assert.equal(await probe('first-admin-key-0123456789'), 401);
    await cp.close();

    cp = await start();
    assert.equal(cp.adminApiKeyGenerated, true, 'no admin key left: a new one is generated and printed');
    admin = new ApiClient(cp.httpUrl, cp.adminApiKey);
    assert.equal(await probe('second-admin-key-0123456789'), 401);
    assert.equal(await probe(cp.adminApiKey!), 200);
    assert.equal(await probe(apiKey), 200);
    await cp.close();

    cp = await start();
    assert.equal(cp.adminApiKeyGenerated, false, 'a restart keeps the generated key');
    assert.equal(await probe(admin.apiKey!), 200);
  });
});
