/**
 * Integration: registering the built-in data set concurrently over HTTP (PGlite in a temp DATA_DIR). Identical
 * requests six at a time get one data set and quick answers — no 409, no hang.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane, startControlPlane } from '../bootstrap';
import { ApiClient } from '../testing/factories';

describe('POST /api/v1/datasets {"builtin":"fashion-mnist"} six at a time', () => {
  let cp: ControlPlane;
  let api: ApiClient;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-builtin-'));
    cp = await startControlPlane({ DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', AUTOPILOT_ENABLED: 'false', EMBEDDED_WORKER: 'false' });
    api = new ApiClient(cp.httpUrl, cp.adminApiKey);
  });
  after(async () => {
    await cp?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers every request with the one data set, within 30 s each', async () => {
    for (let wave = 0; wave < 2; wave++) {
      const answers = await Promise.all(Array.from({ length: 6 }, async () => {
        const t0 = Date.now();
        const res = await api.request('POST', '/api/v1/datasets', { builtin: 'fashion-mnist' }, {}, AbortSignal.timeout(30_000));
        return { status: res.status, id: (res.body as { id?: string }).id, ms: Date.now() - t0 };
      }));
      assert.deepEqual(answers.map((a) => a.status), [201, 201, 201, 201, 201, 201], `wave ${wave}: ${JSON.stringify(answers)}`);
      assert.equal(new Set(answers.map((a) => a.id)).size, 1, 'one data set');
    }
    const list = await api.get('/api/v1/datasets');
    assert.equal(list.body.total, 1);
  });
});
