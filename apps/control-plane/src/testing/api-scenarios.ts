/**
 * The admin API scenarios, run by the integration specs against a real database (PGlite and PostgreSQL) and a
 * real broker, over real HTTP. Each spec supplies the environment; the scenarios are the same.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connectAsync, MqttClient } from 'mqtt';
import {
  DesiredStateMessage, keyIdOf, PROTOCOL_VERSION, profileClassOf, ReportMessage, topics, TrustedKeySet, validateAs, verifyDesiredState,
  verifyTrustedKeySet,
} from '@edgefleet/contracts';
import { ControlPlane, startControlPlane } from '../bootstrap';
import type { Env } from '@edgefleet/platform';
import { ArtifactMismatchError, UnknownDeploymentError, UnknownDeviceError } from '@edgefleet/platform';
import { DeploymentsService } from '../deployments/deployment.service';
import { DevicesService } from '../devices/device.service';
import { MqttBrokerService } from '../mqtt/mqtt-broker.service';
import { OtaService } from '../ota/ota.service';
import { ApiClient, deviceBody, evalSetFor, profile, tinyClassifier } from './factories';

export interface ApiTestTarget {
  env: Env;
  cleanup?: () => Promise<void>;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const report = (deploymentId: string, artifactSha256: string, outcome: ReportMessage['outcome']): ReportMessage => ({
  v: PROTOCOL_VERSION, deploymentId, artifactSha256, outcome,
  latency: { p50Ms: 1.1, p95Ms: 2.2, p99Ms: 3.3, meanMs: 1.4, minMs: 0.9, maxMs: 4 },
  runs: 50, warmupRuns: 5, accuracy: 0.9, evalSamples: 8, inputSource: 'eval-set',
  gateResults: [{ gate: 'maxLatencyP95Ms', limit: 20, measured: 2.2, passed: outcome !== 'rejected' }],
  simulated: false, measuredAt: new Date().toISOString(),
  ...(outcome === 'activated' ? {} : { failureReason: `${outcome} in test` }),
});

export function describeApi(name: string, target: () => Promise<ApiTestTarget | undefined>): void {
  describe(`control plane admin API on ${name}`, () => {
    let t: ApiTestTarget | undefined;
    let cp: ControlPlane;
    let api: ApiClient;
    let skip: string | false = false;
    const cleared: string[] = [];

    before(async () => {
      t = await target();
      if (!t) {
        skip = `${name} not available`;
        return;
      }
      cp = await startControlPlane({ PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', MAX_MODEL_MB: '1', ...t.env });
      api = new ApiClient(cp.httpUrl, cp.adminApiKey);
    });

    after(async () => {
      if (cp) {
        // Retained desired states would outlive the test on an external broker.
        const ota = cp.app.get(OtaService);
        for (const id of cleared) await ota.clearDesired(id);
        await cp.close();
      }
      await t?.cleanup?.();
    });

    const test = (title: string, fn: () => Promise<void>) => it(title, async (ctx) => {
      if (skip) return ctx.skip(skip);
      await fn();
    });

    // Each test makes the records it needs (the server is shared, the data is not), so any one test can run,
    // fail or be skipped alone.
    const model = tinyClassifier();
    const modelSha = sha256(model);
    const givenModel = async (): Promise<string> => {
      const res = await api.uploadModel({ name: `tiny-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, version: '1.0.0' }, model, evalSetFor());
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };

    void test('health answers without a key; the OpenAPI document lists the API', async () => {
      const health = await new ApiClient(cp.httpUrl).get('/health');
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'ok');
      const docs = await new ApiClient(cp.httpUrl).get('/docs-json');
      assert.equal(docs.status, 200);
      for (const p of ['/api/v1/devices', '/api/v1/devices/{id}/reports', '/api/v1/models', '/api/v1/models/{id}/content', '/api/v1/deployments']) {
        assert.ok(docs.body.paths[p], `OpenAPI lists ${p}`);
      }
      // Every list route answers its own page schema (one generic page type, a distinct name per item type).
      const pages: Record<string, string> = {
        '/api/v1/devices': 'Device', '/api/v1/devices/{id}/reports': 'Report', '/api/v1/models': 'Model', '/api/v1/deployments': 'Deployment',
        '/api/v1/datasets': 'Dataset', '/api/v1/distillations': 'Distillation', '/api/v1/targets': 'Target',
      };
      for (const [p, item] of Object.entries(pages)) {
        const ref = docs.body.paths[p].get.responses['200'].content['application/json'].schema.$ref;
        assert.equal(ref, `#/components/schemas/${item}PageView`, p);
        const page = docs.body.components.schemas[`${item}PageView`];
        assert.equal(page.properties.items.items.$ref, `#/components/schemas/${item}View`, p);
        assert.deepEqual([...page.required].sort(), ['items', 'limit', 'offset', 'total'], p);
      }
      const ui = await fetch(`${cp.httpUrl}/docs`);
      assert.equal(ui.status, 200);
      assert.match(await ui.text(), /swagger/i);
    });

    void test('no key or a bad key → 401 JSON with a correlation id', async () => {
      const none = await api.withKey(undefined).get('/api/v1/devices');
      assert.equal(none.status, 401);
      assert.deepEqual(Object.keys(none.body).sort(), ['correlationId', 'error', 'message', 'statusCode']);
      assert.equal(none.body.error, 'Unauthorized');
      assert.equal(none.headers.get('x-correlation-id'), none.body.correlationId);
      const bad = await api.withKey('efk_not-a-real-key-000000000000').get('/api/v1/devices');
      assert.equal(bad.status, 401);
      const caller = await api.request('GET', '/api/v1/devices', undefined, { 'x-correlation-id': 'trace-42' });
      assert.equal(caller.headers.get('x-correlation-id'), 'trace-42');
    });

    void test('devices: create, list with filters and pages, get, patch, delete', async () => {
      const a = deviceBody({ tags: ['site-a', 'cam'] });
      const b = deviceBody({ tags: ['site-b'], profile: profile({ name: 'gateway', arch: 'x64', cores: 8, ramMb: 16384 }) });
      const created = await api.post('/api/v1/devices', a);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.id, a.id);
      assert.equal(created.body.name, a.id);
      assert.equal(created.body.status, 'registered');
      assert.equal(created.body.profileClass, profileClassOf(a.profile));
      assert.equal((await api.post('/api/v1/devices', b)).status, 201);
      const dup = await api.post('/api/v1/devices', a);
      assert.equal(dup.status, 409);
      assert.match(dup.body.message, /already exists/);

      const byTag = await api.get('/api/v1/devices?tag=site-a');
      assert.equal(byTag.status, 200);
      assert.deepEqual(byTag.body.items.map((d: { id: string }) => d.id), [a.id]);
      const page = await api.get('/api/v1/devices?limit=1&offset=0&status=registered');
      assert.equal(page.body.items.length, 1);
      assert.ok(page.body.total >= 2);
      assert.equal(page.body.limit, 1);

      const patched = await api.patch(`/api/v1/devices/${a.id}`, { name: 'Kitchen', tags: ['site-c'], profile: profile({ ramMb: 8192 }) });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.name, 'Kitchen');
      assert.deepEqual(patched.body.tags, ['site-c']);
      assert.notEqual(patched.body.profileClass, created.body.profileClass);
      assert.equal((await api.get(`/api/v1/devices/${a.id}`)).body.profile.ramMb, 8192);

      assert.equal((await api.delete(`/api/v1/devices/${a.id}`)).status, 204);
      const gone = await api.get(`/api/v1/devices/${a.id}`);
      assert.equal(gone.status, 404);
      assert.match(gone.body.message, /not found/);
      assert.equal((await api.delete(`/api/v1/devices/${a.id}`)).status, 404);
    });

    void test('invalid bodies and queries → 400 naming every problem; unknown fields are refused', async () => {
      const invalid = await api.post('/api/v1/devices', { id: 'bad id!', profile: { arch: 'sparc', cores: 0, ramMb: 1 } });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.error, 'Bad Request');
      for (const field of ['id', 'profile.arch', 'profile.cores']) assert.match(invalid.body.message, new RegExp(field.replace('.', '\\.')));
      assert.ok(invalid.body.details.length >= 3);

      const unknown = await api.post('/api/v1/devices', { ...deviceBody(), isAdmin: true });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.message, /isAdmin should not exist/);
      const nested = await api.post('/api/v1/devices', deviceBody({ profile: { ...profile(), gpuCount: 2 } }));
      assert.equal(nested.status, 400);
      assert.match(nested.body.message, /gpuCount/);

      const noProfile = await api.post('/api/v1/devices', { id: 'pi-x' });
      assert.equal(noProfile.status, 400);
      assert.match(noProfile.body.message, /profile/);

      assert.equal((await api.get('/api/v1/devices?limit=0')).status, 400);
      assert.equal((await api.get('/api/v1/devices?color=red')).status, 400);
      const notJson = await api.request('POST', '/api/v1/devices', '{"id": ', { 'content-type': 'application/json' });
      assert.equal(notJson.status, 400);
      assert.ok(notJson.body.correlationId);
    });

    void test('models: upload a real ONNX model → 201 with inputs, outputs and sha256; duplicates 409', async () => {
      const res = await api.uploadModel({ name: 'tiny', version: '1.0.0', precision: 'fp32' }, model, evalSetFor());
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const modelId = res.body.id as string;
      assert.equal(res.body.sha256, modelSha);
      assert.equal(res.body.sizeBytes, model.length);
      assert.deepEqual(res.body.inputs, [{ name: 'x', type: 'float32', dims: ['batch', 4] }]);
      assert.deepEqual(res.body.outputs, [{ name: 'probs', type: 'float32', dims: ['batch', 3] }]);
      assert.equal(res.body.params, 15);
      assert.equal(res.body.evalSet.samples, 8);
      assert.equal(res.body.evalSet.sha256, sha256(evalSetFor()));

      const dup = await api.uploadModel({ name: 'tiny', version: '1.0.0' }, model);
      assert.equal(dup.status, 409);
      const list = await api.get('/api/v1/models?name=tiny');
      assert.deepEqual(list.body.items.map((m: { id: string }) => m.id), [modelId]);
      assert.equal((await api.get(`/api/v1/models/${modelId}`)).body.sha256, modelSha);
    });

    void test('models: files onnxruntime cannot load, bad fields and bad eval sets are refused', async () => {
      const garbage = await api.uploadModel({ name: 'junk', version: '1' }, Buffer.from('this is not an onnx model'));
      assert.equal(garbage.status, 422);
      assert.match(garbage.body.message, /onnxruntime/);
      const noFile = await api.uploadModel({ name: 'junk', version: '1' });
      assert.equal(noFile.status, 400);
      const badFields = await api.uploadModel({ name: 'has space', version: '1', precision: 'fp64', extra: 'x' }, model);
      assert.equal(badFields.status, 400);
      for (const word of ['name', 'precision', 'extra']) assert.match(badFields.body.message, new RegExp(word));
      const wrongShape = await api.uploadModel({ name: 'tiny', version: '2' }, model, evalSetFor(5, 3));
      assert.equal(wrongShape.status, 422);
      assert.match(wrongShape.body.message, /dimension 1 is 4/);
      const notEvalSet = await api.uploadModel({ name: 'tiny', version: '3' }, model, Buffer.from('nope'));
      assert.equal(notEvalSet.status, 422);
      const huge = await api.uploadModel({ name: 'huge', version: '1' }, Buffer.alloc(1024 * 1024 + 1));
      assert.equal(huge.status, 413, JSON.stringify(huge.body));
      const json = await api.post('/api/v1/models', { name: 'x' });
      assert.equal(json.status, 400);
      assert.equal((await api.get('/api/v1/models?name=junk')).body.total, 0);
    });

    void test('models: content download equals the upload, with ETag and 304', async () => {
      const modelId = await givenModel();
      const res = await api.get(`/api/v1/models/${modelId}/content`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/octet-stream');
      assert.equal(res.headers.get('etag'), `"${modelSha}"`);
      assert.ok(Buffer.compare(res.body as Buffer, model) === 0, 'downloaded bytes equal the upload');
      const cached = await api.request('GET', `/api/v1/models/${modelId}/content`, undefined, { 'if-none-match': `"${modelSha}"` });
      assert.equal(cached.status, 304);
      assert.equal((await api.get('/api/v1/models/00000000-0000-0000-0000-000000000000/content')).status, 404);
    });

    void test('deployments: to a tag → pending rows, signed desired state retained on the broker; newer one supersedes', async () => {
      const modelId = await givenModel();
      const tag = `fleet-${Date.now().toString(36)}`;
      const ids = [deviceBody({ tags: [tag] }), deviceBody({ tags: [tag, 'x'] })].map((d) => d.id);
      const passwords: string[] = [];
      for (const [i, id] of ids.entries()) {
        const created = await api.post('/api/v1/devices', deviceBody({ id, tags: i ? [tag, 'x'] : [tag] }));
        assert.equal(created.status, 201);
        passwords.push(created.body.credential.password as string);
      }
      cleared.push(...ids);

      // The broker is closed: read each device's retained state as that device, with its REST credential.
      const asDevice = (i: number) => connectAsync(cp.mqttUrl, { reconnectPeriod: 0, clientId: ids[i], username: ids[i], password: passwords[i] });
      const mqtt = await asDevice(0);
      const mqtt1 = await asDevice(1);
      try {
        const first = await api.post('/api/v1/deployments', { artifactId: modelId, tags: [tag], gates: { maxLatencyP95Ms: 20, minAccuracy: 0.5 } });
        assert.equal(first.status, 201, JSON.stringify(first.body));
        assert.equal(first.body.status, 'in_progress');
        assert.deepEqual(first.body.devices.map((d: { deviceId: string }) => d.deviceId), [...ids].sort());
        assert.ok(first.body.devices.every((d: { state: string; totalBlocks: number }) => d.state === 'pending' && d.totalBlocks === 1));

        const desired = await retained(mqtt, topics.desired(ids[0]!));
        assert.equal(desired.deploymentId, first.body.id);
        assert.equal(desired.artifact.sha256, modelSha);
        assert.equal(desired.artifact.evalSet?.samples, 8);
        assert.deepEqual(desired.gates, { maxLatencyP95Ms: 20, minAccuracy: 0.5 });
        assert.ok(verifyDesiredState(desired, [cp.signingPublicKeyPem]), 'signed by the control plane key');
        assert.equal(desired.deviceId, ids[0]);
        // Open desired states are re-signed before they expire: same work, next seq, later window.
        const { refreshed } = await cp.app.get(DeploymentsService).refreshOpenDesiredStates();
        assert.ok(refreshed >= ids.length, `refreshed ${refreshed}`);
        const fresh = await retained(mqtt, topics.desired(ids[0]!));
        assert.equal(fresh.deploymentId, desired.deploymentId);
        assert.deepEqual(fresh.artifact, desired.artifact);
        assert.ok(fresh.seq > desired.seq, `seq ${fresh.seq} > ${desired.seq}`);
        assert.ok(fresh.expiresAt >= desired.expiresAt);

        const second = await api.post('/api/v1/deployments', { artifactId: modelId, deviceIds: [ids[1]] });
        assert.equal(second.status, 201);
        const old = await api.get(`/api/v1/deployments/${first.body.id}`);
        const states = Object.fromEntries(old.body.devices.map((d: { deviceId: string; state: string }) => [d.deviceId, d.state]));
        assert.deepEqual(states, { [ids[0]!]: 'pending', [ids[1]!]: 'superseded' });
        assert.equal((await retained(mqtt1, topics.desired(ids[1]!))).deploymentId, second.body.id);

        assert.equal((await api.delete(`/api/v1/devices/${ids[0]}`)).status, 204);
        // Revoked: its session is closed and its login refused; what is retained on its topic is read as the
        // control plane (the only other identity that may).
        if (cp.mqttEmbedded) await assert.rejects(asDevice(0), /Bad username or password|Not authorized/);
        const service = await connectAsync(cp.mqttUrl, { reconnectPeriod: 0, clientId: 'edgefleet-cp-scenario', ...cp.app.get(MqttBrokerService).serviceLogin() });
        try {
          await assert.rejects(retained(service, topics.desired(ids[0]!), 500), /no retained message/, 'deleting a device clears its desired state');
        } finally {
          await service.endAsync();
        }
        assert.equal((await api.get(`/api/v1/deployments/${first.body.id}`)).body.devices.length, 1, 'its deployment row went with it');
      } finally {
        await mqtt.endAsync(true);
        await mqtt1.endAsync();
      }

      const none = await api.post('/api/v1/deployments', { artifactId: modelId, tags: ['no-such-tag'] });
      assert.equal(none.status, 422);
      assert.match(none.body.message, /no device/);
      assert.equal((await api.post('/api/v1/deployments', { artifactId: modelId })).status, 400);
      assert.equal((await api.post('/api/v1/deployments', { artifactId: 'nope', tags: [tag] })).status, 404);
      const unknownIds = await api.post('/api/v1/deployments', { artifactId: modelId, deviceIds: ['ghost-1'] });
      assert.equal(unknownIds.status, 422);
      assert.match(unknownIds.body.message, /ghost-1/);
      const badGates = await api.post('/api/v1/deployments', { artifactId: modelId, tags: [tag], gates: { minAccuracy: 3 } });
      assert.equal(badGates.status, 400);
      assert.match(badGates.body.message, /gates\.minAccuracy/);
    });

    void test('block counts show the model\'s progress: not the eval set\'s, and not 0 after an agent restart', async () => {
      const devices = cp.app.get(DevicesService);
      const deployments = cp.app.get(DeploymentsService);
      const modelId = await givenModel();
      const id = `blocks-${Date.now().toString(36)}`;
      assert.equal((await api.post('/api/v1/devices', deviceBody({ id }))).status, 201); // enrolled over REST
      await devices.registerFromHello({ v: 1, deviceId: id, agentVersion: '0.1.0', profile: profile() });
      cleared.push(id);
      const dep = (await api.post('/api/v1/deployments', { artifactId: modelId, deviceIds: [id] })).body;
      const evalSha = sha256(evalSetFor());
      const rowOf = async () => (await api.get(`/api/v1/deployments/${dep.id}`)).body.devices
        .find((d: { deviceId: string }) => d.deviceId === id) as { state: string; receivedBlocks: number; totalBlocks: number };
      const progress = (sha: string, state: 'downloading' | 'verifying' | 'benchmarking', receivedBlocks: number, totalBlocks: number) =>
        deployments.recordProgress(id, { v: 1, deploymentId: dep.id, sha256: sha, state, receivedBlocks, totalBlocks });
      await progress(modelSha, 'downloading', 1, 1);
      // The eval set's own counts (it is fetched after the model) must not replace the model's.
      await progress(evalSha, 'downloading', 5, 5);
      assert.deepEqual(await rowOf(), { ...(await rowOf()), state: 'downloading', receivedBlocks: 1, totalBlocks: 1 });
      // A restarted agent with the model already on disk goes straight on, with nothing counted in this run.
      await progress(modelSha, 'benchmarking', 0, 0);
      assert.deepEqual(await rowOf(), { ...(await rowOf()), state: 'benchmarking', receivedBlocks: 1, totalBlocks: 1 });
      // Counts larger than the model has blocks are capped to what the control plane knows the model has.
      await progress(modelSha, 'downloading', 7, 9);
      assert.deepEqual(await rowOf(), { ...(await rowOf()), state: 'benchmarking', receivedBlocks: 1, totalBlocks: 1 });
    });

    void test('device messages: hello of an enrolled device updates it, progress and reports roll the deployment up; bad reports are refused', async () => {
      const modelId = await givenModel();
      const devices = cp.app.get(DevicesService);
      const deployments = cp.app.get(DeploymentsService);
      const ids = ['ok', 'no'].map((s) => `${s}-${Date.now().toString(36)}`);
      // Closed fleet: a hello never creates a device.
      await assert.rejects(devices.registerFromHello({ v: 1, deviceId: ids[0]!, agentVersion: '0.1.0', profile: profile() }), UnknownDeviceError);
      for (const id of ids) {
        assert.equal((await api.post('/api/v1/devices', deviceBody({ id }))).status, 201);
        await devices.registerFromHello({ v: 1, deviceId: id, agentVersion: '0.1.0', profile: profile(), tags: ['hello-tag'] });
      }
      cleared.push(...ids);
      const registered = await api.get(`/api/v1/devices/${ids[0]}`);
      assert.equal(registered.body.status, 'online');
      assert.equal(registered.body.agentVersion, '0.1.0');
      await devices.markStatus(ids[0]!, 'offline');
      assert.equal((await api.get(`/api/v1/devices/${ids[0]}`)).body.status, 'offline');

      const dep = (await api.post('/api/v1/deployments', { artifactId: modelId, deviceIds: ids })).body;
      await deployments.recordProgress(ids[0]!, { v: 1, deploymentId: dep.id, sha256: modelSha, state: 'downloading', receivedBlocks: 1, totalBlocks: 1 });
      await deployments.recordReport(ids[0]!, report(dep.id, modelSha, 'activated'));
      await deployments.recordReport(ids[0]!, report(dep.id, modelSha, 'activated')); // QoS 1 redelivery
      let now = (await api.get(`/api/v1/deployments/${dep.id}`)).body;
      assert.equal(now.status, 'in_progress');
      await deployments.recordReport(ids[1]!, report(dep.id, modelSha, 'rejected'));
      now = (await api.get(`/api/v1/deployments/${dep.id}`)).body;
      assert.equal(now.status, 'partial');
      const okRow = now.devices.find((d: { deviceId: string }) => d.deviceId === ids[0]);
      assert.equal(okRow.state, 'active');
      assert.equal(okRow.report.latencyP95Ms, 2.2);
      assert.equal(okRow.report.activated, true);
      assert.equal(now.devices.find((d: { deviceId: string }) => d.deviceId === ids[1]).state, 'rejected');
      assert.equal((await api.get(`/api/v1/devices/${ids[0]}`)).body.activeArtifactId, modelId);
      const reports = await api.get(`/api/v1/devices/${ids[0]}/reports`);
      assert.equal(reports.body.total, 1);
      assert.equal(reports.body.items[0].deploymentId, dep.id);

      await assert.rejects(deployments.recordReport('ghost-device', report(dep.id, modelSha, 'activated')), UnknownDeviceError);
      await assert.rejects(deployments.recordReport(ids[0]!, report('no-such-deployment', modelSha, 'activated')), UnknownDeploymentError);
      await assert.rejects(deployments.recordReport(ids[1]!, report(dep.id, 'ab'.repeat(32), 'activated')), ArtifactMismatchError);
      await assert.rejects(
        deployments.recordProgress('ghost-device', { v: 1, deploymentId: dep.id, sha256: modelSha, state: 'downloading', receivedBlocks: 0, totalBlocks: 1 }),
        UnknownDeviceError,
      );
      assert.equal((await api.get('/api/v1/devices/ghost-device')).status, 404, 'no half record created');
    });

    void test('the service keeps answering after all that bad input', async () => {
      const results = await Promise.all([
        api.post('/api/v1/devices', '[1,2'),
        api.post('/api/v1/devices', { id: 42 }),
        api.uploadModel({ name: 'x', version: '1' }, Buffer.alloc(10)),
        api.get('/api/v1/nowhere'),
      ]);
      assert.deepEqual(results.map((r) => r.status), [400, 400, 422, 404]);
      assert.equal((await api.get('/health')).status, 200);
      assert.equal((await api.get('/api/v1/deployments')).status, 200);
    });

    // Last: it rotates this control plane's signing key.
    void test('trusted keys are public and signed; rotation stage → activate → retire needs a key and refuses steps out of order', async () => {
      const anonymous = new ApiClient(cp.httpUrl);
      const ota = cp.app.get(OtaService);
      const before = await anonymous.get('/api/v1/trusted-keys');
      assert.equal(before.status, 200);
      const set = validateAs(TrustedKeySet, before.body);
      assert.ok(set.ok, JSON.stringify(set));
      const oldKeyId = keyIdOf(cp.signingPublicKeyPem);
      assert.deepEqual(set.value.keys.map((k) => k.keyId), [oldKeyId]);
      assert.ok(verifyTrustedKeySet(set.value, [cp.signingPublicKeyPem]));

      assert.equal((await anonymous.post('/api/v1/signing-keys/rotate', { step: 'stage' })).status, 401);
      assert.equal((await api.post('/api/v1/signing-keys/rotate', { step: 'sideways' })).status, 400);
      assert.equal((await api.post('/api/v1/signing-keys/rotate', { step: 'activate' })).status, 409);
      const staged = await api.post('/api/v1/signing-keys/rotate', { step: 'stage' });
      assert.equal(staged.status, 200, JSON.stringify(staged.body));
      assert.equal(staged.body.keys.length, 2);
      const newKey = staged.body.keys.find((k: { keyId: string }) => k.keyId !== oldKeyId) as { keyId: string; publicKeyPem: string };
      assert.equal((await ota.sign('rot-1', { deploymentId: 'd', artifact: { id: 'a', name: 'n', version: '1', precision: 'fp32', sha256: 'e'.repeat(64), size: 1, blockSize: 1024 }, gates: {} })).keyId, oldKeyId, 'staged keys sign nothing yet');

      assert.equal((await api.post('/api/v1/signing-keys/rotate', { step: 'activate' })).status, 200);
      const signed = await ota.sign('rot-1', { deploymentId: 'd', artifact: { id: 'a', name: 'n', version: '1', precision: 'fp32', sha256: 'e'.repeat(64), size: 1, blockSize: 1024 }, gates: {} });
      assert.equal(signed.keyId, newKey.keyId);
      assert.ok(verifyDesiredState(signed, [cp.signingPublicKeyPem, newKey.publicKeyPem]), 'a device trusting both takes it');
      const during = (await anonymous.get('/api/v1/trusted-keys')).body as TrustedKeySet;
      assert.deepEqual(during.keys.map((k) => k.keyId).sort(), [oldKeyId, newKey.keyId].sort());
      assert.ok(verifyTrustedKeySet(during, [cp.signingPublicKeyPem]), 'devices that only know the old key take the new set');

      assert.equal((await api.post('/api/v1/signing-keys/rotate', { step: 'retire' })).status, 200);
      const afterSet = (await anonymous.get('/api/v1/trusted-keys')).body as TrustedKeySet;
      assert.deepEqual(afterSet.keys.map((k) => k.keyId), [newKey.keyId]);
      assert.equal(verifyTrustedKeySet(afterSet, [cp.signingPublicKeyPem]), false, 'the retired key signs nothing');
      assert.equal((await api.post('/api/v1/signing-keys/rotate', { step: 'retire' })).status, 409);
    });
  });
}

/** The retained message on a topic (subscribing delivers it at once). */
async function retained(client: MqttClient, topic: string, timeoutMs = 5000): Promise<DesiredStateMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener('message', onMessage);
      client.unsubscribe(topic);
      reject(new Error(`no retained message on ${topic}`));
    }, timeoutMs);
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic || payload.length === 0) return;
      clearTimeout(timer);
      client.removeListener('message', onMessage);
      client.unsubscribe(topic);
      resolve(JSON.parse(payload.toString()) as DesiredStateMessage);
    };
    client.on('message', onMessage);
    client.subscribe(topic, { qos: 1 }, (err) => { if (err) reject(err); });
  });
}
