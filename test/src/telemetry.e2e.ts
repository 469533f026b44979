/**
 * Telemetry from a real agent process (embedded PGlite + Aedes): the agent activates a model, serves it on its
 * loopback endpoint (POST /v1/infer), aggregates 1-second windows and sends them; the control plane's series API
 * then counts exactly the inferences the test made, the device's lastSeenAt is set, and /v1/infer answers
 * with the class the model's weights decide.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { ControlPlane, startControlPlane } from '@edgefleet/control-plane';
import { AgentProcess, Api, enrollmentToken, knownClassifier, modelForm, startAgentProcess, waitFor } from './support';

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});

describe('telemetry from a real agent process', { timeout: 180_000 }, () => {
  const run = randomBytes(3).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-telemetry-e2e-'));
  const deviceId = `tel-${run}`;
  let cp: ControlPlane;
  let api: Api;
  let agent: AgentProcess | undefined;
  let servePort: number;

  before(async () => {
    cp = await startControlPlane({ PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: `tel-e2e-admin-${run}-0123456789`, LOG_LEVEL: 'error', TELEMETRY_FLUSH_MS: '20' });
    api = new Api(cp.apiUrl, cp.adminApiKey);
    servePort = await freePort();
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await cp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('inferences served on /v1/infer reach the series API, counted once each', async () => {
    const { model, evalSet } = knownClassifier();
    const art = await api.ok('POST', '/models', modelForm({ file: model, name: `tel-${run}`, version: '1', evalSet }));
    const token = await enrollmentToken(cp.apiUrl, cp.adminApiKey!, [`tel-${run}`], 1);
    agent = startAgentProcess({
      brokerUrl: cp.mqttUrl, deviceId, profile: 'gateway', stateDir: join(dataDir, 'agent'), trustKeyPath: cp.signingPublicKeyPath,
      enroll: { token, httpUrl: cp.httpUrl }, extraArgs: ['--serve', `127.0.0.1:${servePort}`, '--telemetry-window-s', '1'],
    });
    await waitFor('agent online', async () => (await api.call('GET', `/devices/${deviceId}`)).body?.status === 'online', 30_000);
    const dep = await api.ok('POST', '/deployments', { artifactId: art.id, deviceIds: [deviceId], gates: { maxLatencyP95Ms: 1000 } });
    await waitFor('activation', async () => (await api.ok('GET', `/deployments/${dep.id}`)).devices[0].state === 'active', 120_000).catch((err: Error) => {
      throw new Error(`${err.message}; agent output:\n${agent!.output().slice(-3000)}`);
    });
    const infer = async (cls: number) => {
      const input = Array.from({ length: 8 }, (_, i) => (i % 4 === cls ? 0.9 : 0.05));
      const res = await fetch(`http://127.0.0.1:${servePort}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input }) });
      return { status: res.status, body: (await res.json()) as { summary: { topClass: number }; model: { sha256: string } } };
    };
    // The agent loads the session right after reporting: the endpoint answers 503 until then.
    await waitFor('model served', async () => (await infer(0)).status === 200, 30_000);
    let served = 1;
    for (let i = 0; i < 60; i++) {
      const r = await infer(i % 4);
      assert.equal(r.status, 200);
      assert.equal(r.body.summary.topClass, i % 4);
      assert.equal(r.body.model.sha256, art.sha256);
      served++;
    }
    const from = new Date(Date.now() - 600_000).toISOString();
    const to = new Date(Date.now() + 600_000).toISOString();
    const sum = async () => {
      const s = await api.ok('GET', `/telemetry/series?from=${from}&to=${to}&resolution=raw&deviceId=${deviceId}`);
      return (s.points as Array<{ inferences: number }>).reduce((a, p) => a + p.inferences, 0);
    };
    await waitFor(`${served} inferences in the series`, async () => (await sum()) === served, 30_000).catch(async (err: Error) => {
      throw new Error(`${err.message} (have ${await sum()}); agent output:\n${agent!.output().slice(-2000)}`);
    });
    const byModel = await api.ok('GET', `/telemetry/series?from=${from}&to=${to}&resolution=1m&modelId=${art.id}`);
    assert.equal((byModel.points as Array<{ inferences: number }>).reduce((a, p) => a + p.inferences, 0), served);
    assert.ok((await api.ok('GET', `/devices/${deviceId}`)).lastSeenAt);
  });
});
