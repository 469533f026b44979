/**
 * The HTTP edge on PGlite: per-key / per-address rate limiting (429 + Retry-After in the API's error shape) and
 * error messages that never name a server path.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { scrubServerPaths } from '../common/http-error.filter';
import { ApiClient } from '../testing/factories';

describe('HTTP edge: rate limits and error messages (PGlite)', () => {
  let dataDir: string;
  let cp: ControlPlane;
  let admin: ApiClient;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-edge-'));
    cp = await startControlPlane({ DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000', EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false' });
    admin = new ApiClient(cp.httpUrl, cp.adminApiKey);
  });
  after(async () => {
    await cp?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a refused upload does not name the staged file (and no message carries a server path)', async () => {
    const res = await admin.uploadModel({ name: 'junk', version: '1' }, Buffer.from('this is not an onnx model'));
    assert.equal(res.status, 422);
    assert.match(res.body.message, /not a model onnxruntime can load/);
    assert.ok(!res.body.message.includes(dataDir), res.body.message);
    assert.doesNotMatch(res.body.message, /\/(tmp|var|home|work)\//);
    assert.equal(scrubServerPaths('open /tmp/x/y.onnx failed; C:\\data\\m.onnx; /api/v1/devices'), 'open <file> failed; <file>; /api/v1/devices');
  });

  it('a key gets RATE_LIMIT_MAX requests per window, then 429 with Retry-After; unverified callers share their address\'s budget', async () => {
    // The first request of a key is counted against the address (the key is not verified yet), the rest against the key.
    const key = (await admin.post('/api/v1/api-keys', { name: 'limited', role: 'viewer' })).body.key as string;
    const limited = admin.withKey(key);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await limited.get('/api/v1/devices')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429]);
    const refused = await limited.get('/api/v1/devices');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After in seconds');
    assert.deepEqual(Object.keys(refused.body).sort(), ['correlationId', 'error', 'message', 'statusCode']);
    assert.match(refused.body.message, /rate limit of 5 requests per 60 s/);

    // Bad keys are limited per address: with the admin's and this key's first requests, 3 more are left.
    const bad = admin.withKey('efk_000000000000_' + 'y'.repeat(43));
    const badStatuses: number[] = [];
    for (let i = 0; i < 4; i++) badStatuses.push((await bad.get('/api/v1/devices')).status);
    assert.deepEqual(badStatuses, [401, 401, 401, 429]);
    assert.equal((await fetch(`${cp.httpUrl}/health`)).status, 200, 'health is not limited');
  });
});
