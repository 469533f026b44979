/**
 * Telemetry from a real agent process.
 *
 * 1. Embedded PGlite + Aedes: the agent activates a model, serves it on its loopback endpoint (POST /v1/infer),
 *    aggregates 1-second windows and sends them; the control plane's series API then counts exactly the inferences
 *    the test made, the device's lastSeenAt is set, and /v1/infer answers with the class the model's weights decide.
 * 2. A control plane killed with windows in its memory (PostgreSQL: a database of its own on TEST_DATABASE_URL's
 *    server; a Mosquitto of the test's own; the control plane as a process): nothing is lost and nothing counted
 *    twice — the agent deletes windows only when acknowledged after the commit and resends the rest to the control
 *    plane that replaces it. Skipped when PostgreSQL or Mosquitto is missing, unless CI=true.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { readdirSync } from 'node:fs';
import { ControlPlane, startControlPlane } from '@edgefleet/control-plane';
import { mosquittoAvailable, startOwnMosquitto, type OwnMosquitto } from '@edgefleet/control-plane/dist/mqtt/testing/own-mosquitto';
import { createTempPostgresDatabase, PostgresGate, type TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { AgentProcess, Api, CI, CpProcess, enrollmentToken, knownClassifier, modelForm, sleep, startAgentProcess, waitFor } from './support';

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

describe('telemetry through a control plane killed with windows in its memory (PostgreSQL, own Mosquitto, control plane as a process)', { timeout: 300_000 }, () => {
  const run = randomBytes(3).toString('hex');
  const ADMIN = `tel-kill-admin-${run}-0123456789`;
  const deviceId = `tel-kill-${run}`;
  const gate = new PostgresGate();
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-telemetry-kill-'));
  let pg: TempPostgresDatabase | undefined;
  let mosq: OwnMosquitto | undefined;
  const cps: CpProcess[] = [];
  let agent: AgentProcess | undefined;
  let skip: string | undefined;

  before(async () => {
    await gate.probe();
    if (!(await mosquittoAvailable())) {
      skip = 'mosquitto is not installed';
      if (CI) throw new Error(`${skip}, and CI=true requires it`);
      return;
    }
    pg = await createTempPostgresDatabase().catch(() => undefined);
    if (!pg) return;
    mosq = await startOwnMosquitto(join(dir, 'broker'), [], { DATABASE_URL: pg.url });
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    for (const cp of cps) await cp.kill();
    await mosq?.stop();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every window closed before, during and after the crash is stored exactly once, and the agent\'s queue drains', async (t) => {
    if (skip) return t.skip(skip);
    if (gate.skipped(t) || !pg || !mosq) return;
    const port = await freePort();
    const controlPlane = (name: string, flushMs: number) => new CpProcess(name, {
      PATH: process.env.PATH ?? '', DATABASE_URL: pg!.url, ...mosq!.env, DATA_DIR: join(dir, 'cp'), SIGNING_KEY_DIR: join(dir, 'keys'),
      ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false', RATE_LIMIT_MAX: '0',
      TELEMETRY_FLUSH_MS: String(flushMs),
    }, port, ADMIN);
    // A: windows wait in its memory for a minute (the longest TELEMETRY_FLUSH_MS) — it dies seconds after the first.
    const a = controlPlane('control plane A', 60_000);
    cps.push(a);
    await a.up();
    const token = await enrollmentToken(`${a.httpUrl}/api/v1`, ADMIN, ['tel-kill'], 1);
    const servePort = await freePort();
    const stateDir = join(dir, 'agent');
    agent = startAgentProcess({
      brokerUrl: mosq.url, deviceId, profile: 'gateway', stateDir, trustKeyPath: a.keyPath,
      enroll: { token, httpUrl: a.httpUrl }, extraArgs: ['--serve', `127.0.0.1:${servePort}`, '--telemetry-window-s', '1'],
    });
    const failWithOutput = (err: Error): never => {
      throw new Error(`${err.message}\nagent output:\n${agent!.output().slice(-3000)}\ncontrol planes:\n${cps.map((c) => `${c.describe()}\n${c.output().slice(-2000)}`).join('\n')}`);
    };
    await waitFor('agent online', async () => (await a.api.call('GET', `/devices/${deviceId}`)).body?.status === 'online', 60_000).catch(failWithOutput);
    // No model is active: every request is answered 503 and counted as a failed inference in the window it falls in.
    let requests = 0;
    const infer = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const res = await fetch(`http://127.0.0.1:${servePort}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: [1, 2, 3] }) });
        await res.body?.cancel();
        assert.equal(res.status, 503);
        requests++;
        await sleep(50);
      }
    };
    const pendingIn = async (cp: CpProcess) => {
      const res = await fetch(`${cp.httpUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const m = /^edgefleet_telemetry_pending_windows (\d+)/m.exec(await res.text());
      return m ? Number(m[1]) : 0;
    };
    const from = new Date(Date.now() - 600_000).toISOString();
    const errorsStored = async (cp: CpProcess) => {
      const to = new Date(Date.now() + 600_000).toISOString();
      const s = await cp.api.call('GET', `/telemetry/series?from=${from}&to=${to}&resolution=raw&deviceId=${deviceId}`);
      assert.equal(s.status, 200, JSON.stringify(s.body));
      return (s.body.points as Array<{ errors: number }>).reduce((sum, p) => sum + p.errors, 0);
    };

    await infer(40); // ~2 s: two or three windows, sent to A
    await waitFor('windows waiting in the memory of control plane A', async () => (await pendingIn(a)) > 0, 30_000).catch(failWithOutput);
    assert.equal(await errorsStored(a), 0, 'nothing committed yet: the windows are only in A\'s memory');
    await a.kill();
    await infer(30); // windows closed while no control plane listens: the broker has no subscriber to give them to

    const b = controlPlane('control plane B', 20);
    cps.push(b);
    await b.up();
    await infer(20); // and some after
    await waitFor(`${requests} failed inferences stored`, async () => (await errorsStored(b)) === requests, 180_000).catch(async (err: Error) =>
      failWithOutput(new Error(`${err.message} (stored ${await errorsStored(b)})`)));
    const queueDir = join(stateDir, 'telemetry-queue');
    await waitFor('the agent\'s queue drained (every window acknowledged)', async () => readdirSync(queueDir).every((f) => !/^\d+\.json$/.test(f)), 60_000).catch(failWithOutput);
    await sleep(1500); // a late resend, were one still coming, would land meanwhile
    assert.equal(await errorsStored(b), requests, 'each window stored exactly once');
  });
});
