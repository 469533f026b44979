/**
 * The EMQX HTTP authentication and authorization endpoints, called the way EMQX's HTTP authenticator and HTTP
 * authorizer call them (POST, JSON body from the templates in docs/security.md, the shared-secret header) over
 * the control plane's real HTTP socket, on PGlite. EMQX itself cannot run here (no EMQX binary or container on
 * this machine), so the broker side is these requests; the answers are checked against broker-policy.ts, the
 * rules the embedded Aedes enforces (broker-security.int.spec.ts performs the attacks there).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics } from '@edgefleet/contracts';
import { ControlPlane, startControlPlane } from '../bootstrap';
import { ApiClient, deviceBody } from '../testing/factories';
import { AppConfig } from '@edgefleet/platform';
import type { DeviceCredentialService } from '../identity/device-credential.service';
import { BROKER_AUTH_HEADER } from './broker-http-auth.controller';
import { BrokerHttpAuthService } from './broker-http-auth.service';
import { mayPublish, maySubscribe, SERVICE_CLIENT_ID_PREFIX, type BrokerIdentity } from './broker-policy';

const SECRET = 'emqx-shared-secret-0123456789';
const SERVICE_PASSWORD = 'service-password-0123456789';

describe('EMQX HTTP authentication / authorization endpoints', () => {
  let cp: ControlPlane;
  let dataDir: string;
  let api: ApiClient;
  const devices: Record<string, string> = {};

  const call = async (base: string, what: 'authenticate' | 'authorize', body: Record<string, unknown>, secret: string | null = SECRET) => {
    const res = await fetch(`${base}/api/v1/broker-auth/${what}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret !== null && { [BROKER_AUTH_HEADER]: secret }) },
      body: JSON.stringify(body),
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as { result?: string; is_superuser?: boolean } };
  };
  const authn = (clientid: string, username: string | undefined, password: string | undefined) =>
    call(cp.httpUrl, 'authenticate', { clientid, username, password });
  const authz = (clientid: string, username: string, action: string, topic: string) => call(cp.httpUrl, 'authorize', { clientid, username, action, topic });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-emqx-auth-'));
    cp = await startControlPlane({
      DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', AUTOPILOT_ENABLED: 'false', EMBEDDED_WORKER: 'false',
      BROKER_AUTH_SECRET: SECRET, MQTT_PASSWORD: SERVICE_PASSWORD,
    });
    api = new ApiClient(cp.httpUrl, cp.adminApiKey);
    for (const id of ['emqx-a', 'emqx-b']) {
      const res = await api.post('/api/v1/devices', deviceBody({ id }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      devices[id] = (res.body.credential as { password: string }).password;
    }
  });

  after(async () => {
    await cp?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses callers without the shared secret before reading the body (401, which EMQX treats as "ignore"), and every caller when no secret is configured', async () => {
    const body = { clientid: 'emqx-a', username: 'emqx-a', password: devices['emqx-a'] };
    assert.equal((await call(cp.httpUrl, 'authenticate', body, null)).status, 401);
    assert.equal((await call(cp.httpUrl, 'authenticate', body, 'wrong-secret-0123456789')).status, 401);
    assert.equal((await call(cp.httpUrl, 'authorize', { ...body, action: 'publish', topic: topics.report('emqx-a') }, null)).status, 401);
    assert.equal((await call(cp.httpUrl, 'authenticate', body, '')).status, 401);
    // Closed by default: without BROKER_AUTH_SECRET no header value is trusted.
    const closed = new BrokerHttpAuthService(AppConfig.fromEnv({}), undefined as unknown as DeviceCredentialService);
    for (const given of [undefined, '', SECRET, 'undefined']) assert.equal(closed.brokerIsTrusted(given), false);
  });

  it('authentication: a device with its own secret and client id = username is allowed, never as superuser', async () => {
    const ok = await authn('emqx-a', 'emqx-a', devices['emqx-a']);
    assert.equal(ok.status, 200);
    assert.match(ok.type, /application\/json/);
    assert.deepEqual(ok.body, { result: 'allow', is_superuser: false });
  });

  it('authentication: wrong secret, another device\'s secret, anonymous, client id ≠ username, unknown device, reserved ids are denied', async () => {
    const denied: Array<[string, string | undefined, string | undefined]> = [
      ['emqx-a', 'emqx-a', 'efd_wrong'],
      ['emqx-a', 'emqx-a', devices['emqx-b']],
      ['emqx-a', undefined, undefined],
      ['emqx-a', 'emqx-a', ''],
      ['emqx-a', 'emqx-b', devices['emqx-b']], // takes over emqx-a's session with b's login
      ['nobody', 'nobody', devices['emqx-a']],
      [`${SERVICE_CLIENT_ID_PREFIX}x`, `${SERVICE_CLIENT_ID_PREFIX}x`, devices['emqx-a']],
      ['emqx-a', 'edgefleet-control-plane', SERVICE_PASSWORD], // the service identity with a device's client id
      [`${SERVICE_CLIENT_ID_PREFIX}in-1`, 'edgefleet-control-plane', 'not-the-service-password'],
    ];
    for (const [clientid, username, password] of denied) {
      const r = await authn(clientid, username, password);
      assert.equal(r.status, 200, `${clientid}/${username}`);
      assert.equal(r.body.result, 'deny', `${clientid}/${username}/${password}`);
    }
  });

  it('authentication: the control plane\'s own login (MQTT_USERNAME / MQTT_PASSWORD, a control-plane client id) is allowed', async () => {
    assert.equal((await authn(`${SERVICE_CLIENT_ID_PREFIX}in-1`, 'edgefleet-control-plane', SERVICE_PASSWORD)).body.result, 'allow');
  });

  it('authorization gives the answers of broker-policy.ts (the embedded broker\'s rules) for devices and the control plane', async () => {
    const service = `${SERVICE_CLIENT_ID_PREFIX}in-1`;
    const cases: Array<[BrokerIdentity, string, 'publish' | 'subscribe', string]> = [];
    const a: BrokerIdentity = { kind: 'device', deviceId: 'emqx-a' };
    for (const topic of [topics.report('emqx-a'), topics.hello('emqx-a'), topics.blockRequest('emqx-a'), topics.report('emqx-b'), topics.desired('emqx-a'),
      'edgefleet/v1/devices/emqx-a/rejected', '$SYS/broker/uptime', 'other/topic', 'edgefleet/v1/devices/emqx-a']) {
      cases.push([a, 'emqx-a', 'publish', topic]);
    }
    for (const filter of ['#', '$SYS/#', 'edgefleet/#', 'edgefleet/v1/devices/+/desired', 'edgefleet/v1/devices/emqx-b/#', 'edgefleet/v1/devices/emqx-a/#',
      topics.desired('emqx-a'), 'edgefleet/v1/devices/emqx-a/', '$share/g/edgefleet/v1/devices/emqx-a/#']) {
      cases.push([a, 'emqx-a', 'subscribe', filter]);
    }
    for (const topic of [topics.desired('emqx-b'), 'edgefleet/#', '$share/edgefleet-cp-1/edgefleet/#', '#', '$SYS/#']) {
      cases.push([{ kind: 'service' }, 'edgefleet-control-plane', 'publish', topic], [{ kind: 'service' }, 'edgefleet-control-plane', 'subscribe', topic]);
    }
    let allowed = 0;
    for (const [who, username, action, topic] of cases) {
      const clientid = who.kind === 'service' ? service : username;
      const expected = action === 'publish' ? mayPublish(who, topic) : maySubscribe(who, topic);
      const r = await authz(clientid, username, action, topic);
      assert.equal(r.status, 200);
      assert.equal(r.body.result, expected ? 'allow' : 'deny', `${username} ${action} ${topic}`);
      if (expected) allowed++;
    }
    // Not vacuous: both answers occur.
    assert.ok(allowed >= 5 && allowed <= cases.length - 10, `allowed ${allowed} of ${cases.length}`);
    // Spot checks that do not depend on broker-policy.ts being right.
    assert.equal((await authz('emqx-a', 'emqx-a', 'publish', topics.report('emqx-a'))).body.result, 'allow');
    assert.equal((await authz('emqx-a', 'emqx-a', 'publish', topics.report('emqx-b'))).body.result, 'deny');
    assert.equal((await authz('emqx-a', 'emqx-a', 'subscribe', '#')).body.result, 'deny');
  });

  it('authorization denies unknown or mismatched identities, bad actions are a 400 (EMQX: ignore → no_match = deny)', async () => {
    assert.equal((await authz('nobody', 'nobody', 'publish', topics.report('nobody'))).body.result, 'deny');
    assert.equal((await authz('emqx-b', 'emqx-a', 'publish', topics.report('emqx-a'))).body.result, 'deny');
    assert.equal((await authz('emqx-a', 'edgefleet-control-plane', 'publish', topics.desired('emqx-a'))).body.result, 'deny');
    assert.equal((await authz('emqx-a', 'emqx-a', 'all', topics.report('emqx-a'))).status, 400);
    assert.equal((await call(cp.httpUrl, 'authorize', { clientid: 'emqx-a', username: 'emqx-a', action: 'publish' })).status, 400);
  });

  it('a revoked device is denied at once, by authentication and by authorization', async () => {
    assert.equal((await authz('emqx-b', 'emqx-b', 'publish', topics.report('emqx-b'))).body.result, 'allow');
    assert.equal((await api.delete('/api/v1/devices/emqx-b')).status, 204);
    assert.equal((await authn('emqx-b', 'emqx-b', devices['emqx-b'])).body.result, 'deny');
    assert.equal((await authz('emqx-b', 'emqx-b', 'publish', topics.report('emqx-b'))).body.result, 'deny');
  });
});
