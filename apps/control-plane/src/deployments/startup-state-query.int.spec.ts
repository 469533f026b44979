/**
 * A control plane that starts asks every device with an unfinished deployment row for its state — it does not wait
 * for the stall timeout (set to an hour here, checked hourly: only the start-up query can ask) — and reconciles the
 * rows from the answers. At the MQTT level, on a Mosquitto of the test's own (the product's closed configuration),
 * with PGlite: two devices created over REST log in with their credentials as plain MQTT clients written from
 * docs/mqtt-protocol.md (no agent code), take their desired states, and while no control plane runs one of them
 * "activates" and the other "rejects" the model, with the reports lost (never sent: what an agent killed between its
 * outcome and the report's delivery, or a report sent into a broker with no subscriber, leaves). A new control plane on
 * the same database and broker sends `query`; each device answers on `state`; the rows end active/rejected, the
 * device's active model is recorded. Skipped when Mosquitto is missing, unless CI=true.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { mosquittoAvailable, startOwnMosquitto, type OwnMosquitto } from '../mqtt/testing/own-mosquitto';
import { ApiClient, evalSetFor, profile, tinyClassifier } from '../testing/factories';

const ADMIN = 'startup-query-admin-key-0123456789';
const ROOT = (id: string) => `edgefleet/v1/devices/${id}`;

interface Device {
  id: string;
  password: string;
  client?: MqttClient;
  got: Array<{ topic: string; payload: string }>;
}

describe('a starting control plane asks devices with unfinished rows for their state (Mosquitto, MQTT level)', { timeout: 400_000 }, () => {
  let dir = '';
  let mosq: OwnMosquitto | undefined;
  let cp: ControlPlane | undefined;
  let skip: string | undefined;
  const devices: Device[] = [{ id: 'sq-done', password: '', got: [] }, { id: 'sq-refused', password: '', got: [] }];

  const env = () => ({
    DATA_DIR: dir, PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'error', EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false',
    DEPLOYMENT_STALL_PENDING_S: '3600', DEPLOYMENT_STALL_DOWNLOADING_S: '3600', DEPLOYMENT_STALL_VERIFYING_S: '3600', DEPLOYMENT_STALL_BENCHMARKING_S: '3600',
    DEPLOYMENT_STALL_CHECK_S: '3600', ...mosq!.env,
  });

  before(async () => {
    if (!(await mosquittoAvailable())) {
      skip = 'mosquitto is not installed';
      if (process.env['CI'] === 'true') throw new Error(`${skip}, and CI=true requires it`);
      return;
    }
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-startup-query-'));
    // The generator migrates a PGlite database first: slow on a loaded machine.
    mosq = await startOwnMosquitto(dir);
  }, { timeout: 300_000 });
  after(async () => {
    for (const d of devices) await d.client?.endAsync(true).catch(() => undefined);
    await cp?.close();
    await mosq?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Resolves with the first message on `topic` the device got (waits for it: the test's timeout bounds the wait). */
  const next = async (d: Device, topic: string, from = 0): Promise<string> => {
    for (;;) {
      const m = d.got.slice(from).find((x) => x.topic === topic);
      if (m) return m.payload;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('the rows are reconciled from the answers to the start-up query', { timeout: 300_000 }, async (t) => {
    if (skip) return t.skip(skip);
    cp = await startControlPlane(env());
    let api = new ApiClient(cp.httpUrl, ADMIN);
    for (const d of devices) {
      const res = await api.post('/api/v1/devices', { id: d.id, tags: ['startup-query'], profile: profile() });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      d.password = res.body.credential.password as string;
      // A device as the protocol describes it: client id and username = device id, its own topics only.
      d.client = await mqtt.connectAsync(cp.mqttUrl, { clientId: d.id, username: d.id, password: d.password, reconnectPeriod: 500, protocolVersion: 4 }, false);
      d.client.on('message', (topic, payload) => d.got.push({ topic, payload: payload.toString() }));
      await d.client.subscribeAsync([`${ROOT(d.id)}/desired`, `${ROOT(d.id)}/query`, `${ROOT(d.id)}/rejected`], { qos: 1 });
    }
    const model = await api.uploadModel({ name: 'startup-query', version: '1' }, tinyClassifier(), evalSetFor());
    assert.equal(model.status, 201, JSON.stringify(model.body));
    const sha256 = model.body.sha256 as string;
    const dep = await api.post('/api/v1/deployments', { artifactId: model.body.id, tags: ['startup-query'] });
    assert.equal(dep.status, 201, JSON.stringify(dep.body));
    const deploymentId = dep.body.id as string;
    for (const d of devices) {
      const desired = JSON.parse(await next(d, `${ROOT(d.id)}/desired`)) as { deploymentId: string; artifact: { sha256: string } };
      assert.equal(desired.deploymentId, deploymentId);
      assert.equal(desired.artifact.sha256, sha256);
    }
    assert.equal(devices.some((d) => d.got.some((m) => m.topic.endsWith('/query'))), false, 'no query while the rows are fresh');

    // The control plane goes away; the devices finish meanwhile (their reports are not delivered).
    await cp.close();
    cp = undefined;
    const seen = devices.map((d) => d.got.length);
    cp = await startControlPlane(env());
    api = new ApiClient(cp.httpUrl, ADMIN);

    // The new control plane asks each device about its row, at start.
    const [done, refused] = devices;
    for (const [i, d] of devices.entries()) {
      const query = JSON.parse(await next(d, `${ROOT(d.id)}/query`, seen[i])) as unknown;
      assert.deepEqual(query, { v: 1, deploymentId });
    }
    // The answers (DeviceStateMessage): one activated the model, the other rejected it by its gates.
    const answer = (d: Device, outcome: Record<string, unknown>) => d.client!.publishAsync(`${ROOT(d.id)}/state`, JSON.stringify({
      v: 1, deploymentId, desiredDeploymentId: deploymentId, busy: false, unacknowledged: 1, outcome: { sha256, ...outcome },
      ...(outcome['outcome'] === 'activated' && { activeSha256: sha256 }),
    }), { qos: 1 });
    await answer(done!, { outcome: 'activated' });
    await answer(refused!, { outcome: 'rejected', reason: 'gates failed: maxLatencyP95Ms' });

    let detail: { status: string; devices: Array<{ deviceId: string; state: string; error: string | null }> };
    for (;;) {
      detail = (await api.get(`/api/v1/deployments/${deploymentId}`)).body;
      if (detail.devices.every((r) => r.state !== 'pending')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const row = (id: string) => detail.devices.find((r) => r.deviceId === id)!;
    assert.equal(row(done!.id).state, 'active');
    assert.equal(row(refused!.id).state, 'rejected');
    assert.match(row(refused!.id).error ?? '', /gates failed: maxLatencyP95Ms/);
    assert.equal(detail.status, 'partial');
    assert.equal((await api.get(`/api/v1/devices/${done!.id}`)).body.activeArtifactId, model.body.id, 'the device\'s active model is recorded');
    for (const d of devices) assert.equal(d.got.filter((m) => m.topic.endsWith('/rejected')).length, 0, `${d.id}: no message refused`);
  });
});
