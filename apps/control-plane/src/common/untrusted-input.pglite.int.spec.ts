/**
 * Integration: hostile input over HTTP against the whole control plane (PGlite in a temp DATA_DIR, embedded
 * broker). Every case is a 4xx, health keeps answering and no row is written.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane, startControlPlane } from '../bootstrap';
import { ApiClient, deviceBody, gzipBomb } from '../testing/factories';

describe('hostile HTTP input is a 4xx before it reaches validation or the database', () => {
  let cp: ControlPlane;
  let api: ApiClient;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-inputs-'));
    cp = await startControlPlane({ DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', LOG_LEVEL: process.env.DEBUG_LOG ? 'warn' : 'error' });
    api = new ApiClient(cp.httpUrl, cp.adminApiKey);
  });
  after(async () => {
    await cp?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const deviceCount = async () => ((await api.get('/api/v1/devices?limit=1')).body as { total: number }).total;

  async function expect4xx(method: string, path: string, body?: unknown, why = `${method} ${path}`): Promise<void> {
    const res = await api.request(method, path, body);
    assert.ok(res.status >= 400 && res.status < 500, `${why}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  }

  it('refuses keys naming Object.prototype members at every depth (constructor, __proto__, toString)', async () => {
    const before = await deviceCount();
    const bodies: unknown[] = [
      { ...deviceBody(), constructor: 'x' },
      { ...deviceBody(), toString: 'x' },
      { ...deviceBody(), tags: [{ constructor: 1 }] },
      { ...deviceBody(), profile: { ...deviceBody().profile, constructor: {} } },
      `{"id":"d-proto","profile":{"arch":"arm64","cores":1,"ramMb":1},"__proto__":{"x":1}}`,
    ];
    for (const body of bodies) await expect4xx('POST', '/api/v1/devices', body, JSON.stringify(body));
    await expect4xx('POST', '/api/v1/datasets', { builtin: { constructor: {} } });
    // Found by the fuzzer: an optional name sent as null reached the database lookup (500).
    await expect4xx('POST', '/api/v1/datasets', { builtin: 'fashion-mnist', name: null });
    await expect4xx('GET', '/api/v1/devices?constructor=1');
    assert.equal(await deviceCount(), before, 'no junk rows');
  });

  it('answers 400 to a 100k-deep JSON body and keeps serving', async () => {
    const deep = '{"profile":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    const res = await api.request('POST', '/api/v1/devices', deep);
    assert.equal(res.status, 400);
    assert.match(String(res.body.message), /deeper than/);
    assert.equal((await new ApiClient(cp.httpUrl).get('/health')).status, 200);
  });

  it('refuses NUL bytes and lone surrogates in bodies, queries and path ids with 400', async () => {
    const before = await deviceCount();
    await expect4xx('POST', '/api/v1/devices', { ...deviceBody(), name: 'a\u0000b' }, 'NUL in name');
    await expect4xx('POST', '/api/v1/devices', `{"id":"lone-1","name":"x\\ud800","profile":{"arch":"arm64","cores":1,"ramMb":1}}`, 'lone surrogate');
    for (const id of ['a%00b', '%00', 'x%ED%A0%80']) await expect4xx('GET', `/api/v1/devices/${id}`);
    await expect4xx('GET', '/api/v1/devices?tag=a%00');
    assert.equal(await deviceCount(), before);
    assert.equal((await new ApiClient(cp.httpUrl).get('/health')).status, 200);
  });

  it('bounds pagination: huge or imprecise offsets are a 400, not a 500 or the first page', async () => {
    for (const offset of ['9200000000000000000', '9.2e18', String(2 ** 53 + 1), '1e400', '-1', '1.5']) {
      await expect4xx('GET', `/api/v1/devices?offset=${offset}`);
      await expect4xx('GET', `/api/v1/models?offset=${offset}`);
    }
    assert.equal((await api.get('/api/v1/devices?offset=2147483647')).status, 200);
  });

  it('answers malformed multipart with a 4xx', async () => {
    const res = await fetch(`${cp.apiUrl}/models`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cp.adminApiKey}`, 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\n\r\nabc', // never closed
    });
    assert.ok(res.status >= 400 && res.status < 500, `got ${res.status}`);
    const noBoundary = await fetch(`${cp.apiUrl}/datasets`, {
      method: 'POST', headers: { authorization: `Bearer ${cp.adminApiKey}`, 'content-type': 'multipart/form-data' }, body: 'x',
    });
    assert.ok(noBoundary.status >= 400 && noBoundary.status < 500, `got ${noBoundary.status}`);
    assert.equal((await new ApiClient(cp.httpUrl).get('/health')).status, 200);
  });

  it('refuses a compressed-upload bomb (1 GiB of CSV from 1 MB of gzip) with 413 and keeps serving', async () => {
    const form = new FormData();
    form.set('name', 'bomb');
    form.set('csv', new Blob([gzipBomb(1024)]), 'data.csv.gz');
    // The control plane runs in this process: its resident memory must not grow by anything like 1 GiB.
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const res = await api.request('POST', '/api/v1/datasets', form).finally(() => clearInterval(sampler));
    assert.equal(res.status, 413, JSON.stringify(res.body));
    assert.ok(peak - rss0 < 256 * 1024 * 1024, `resident memory grew by ${((peak - rss0) / 2 ** 20).toFixed(0)} MiB`);
    assert.match(String(res.body.message), /decompression bomb|decompressed/);
    assert.equal((await new ApiClient(cp.httpUrl).get('/health')).status, 200);
    assert.equal((await api.get('/api/v1/datasets')).body.total, 0);
  });
});
