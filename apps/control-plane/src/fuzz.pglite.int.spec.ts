/**
 * Property-based fuzzing of every door into the control plane (fast-check), against the whole control plane
 * in-process on PGlite (temp DATA_DIR) with its embedded Aedes broker: ≥ 1,000 generated inputs per REST
 * operation (enumerated from /docs-json) and per inbound MQTT topic. Each door asserts its own property (no
 * 5xx; a `rejected` reply instead of an internal error); the harness asserts health still answers and that
 * a door whose inputs were all refused wrote no row. The counts per door are printed.
 * FUZZ_RUNS (default 1000) and FUZZ_SEED reproduce or deepen a run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { PrismaClient } from '@edgefleet/db';
import { DISTILLATION_QUEUE } from '@edgefleet/distillation-worker';
import { topics, type RejectedMessage } from '@edgefleet/contracts';
import { ControlPlane, startControlPlane } from './bootstrap';
import { DevicesService } from './devices/device.service';
import { DeviceMessageRunner } from './mqtt/device-message.runner';
import { MqttPublisher } from './mqtt/mqtt-publisher.service';
import { ApiClient, evalSetFor, profile, tinyClassifier } from './testing/factories';
import { doorsOf, runDoor, type DoorReport, type FuzzBudget, type FuzzContext } from './testing/fuzz/doors';
import './testing/fuzz/rest-doors';
import './testing/fuzz/mqtt-doors';

/**
 * npm test sends FUZZ_RUNS (default 1000) inputs through each of the ~50 doors, eight in flight per door. A door
 * that cannot finish in FUZZ_DOOR_MS (default 120 s) fails, which bounds the file's time. FUZZ_DOOR_MS=0: no bound.
 */
const budget: FuzzBudget = {
  runs: Number(process.env['FUZZ_RUNS'] ?? 1000),
  timeLimitMs: Number(process.env['FUZZ_DOOR_MS'] ?? 120_000),
  ...(process.env['FUZZ_SEED'] && { seed: Number(process.env['FUZZ_SEED']) }),
};

describe('fuzzing every REST operation and MQTT topic', () => {
  let cp: ControlPlane;
  let dataDir: string;
  let device: MqttClient;
  let ctx: FuzzContext;
  const reports: DoorReport[] = [];

  before(async () => {
    // On tmpfs when there is one: PGlite's writes then cost no disk flushes (the database is thrown away anyway).
    dataDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'edgefleet-fuzz-'));
    cp = await startControlPlane({
      DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', MAX_MODEL_MB: '1', AUTOPILOT_ENABLED: 'false', EMBEDDED_WORKER: 'false',
      // The fuzzer sends thousands of requests a minute with one key: rate limiting would answer 429 before
      // validation, and the inputs would never reach the code under test (the limiter has its own spec).
      RATE_LIMIT_MAX: '0',
    });
    const api = new ApiClient(cp.httpUrl, cp.adminApiKey);
    // Fixtures, so valid-looking inputs reach the services and the database: a model with an eval set, a
    // device and a deployment to it.
    const model = tinyClassifier();
    const uploaded = await api.uploadModel({ name: 'fuzz', version: '1', precision: 'fp32' }, model, evalSetFor());
    assert.equal(uploaded.status, 201);
    const deviceId = 'fuzz-device';
    // Closed fleet: the device is registered over REST (which issues its broker credential), then says hello.
    const created = await api.post('/api/v1/devices', { id: deviceId, profile: profile() });
    assert.equal(created.status, 201);
    const { username, password } = created.body.credential as { username: string; password: string };
    await cp.app.get(DevicesService).registerFromHello({ v: 1, deviceId, agentVersion: '0.1.0', profile: profile() });
    const deployment = await api.post('/api/v1/deployments', { artifactId: uploaded.body.id, deviceIds: [deviceId] });
    assert.equal(deployment.status, 201);
    device = await mqtt.connectAsync(cp.mqttUrl, { clientId: deviceId, username, password, reconnectPeriod: 0 }, false);
    const prisma = cp.app.get(PrismaClient);
    const fixtures: Record<string, unknown> = {
      rest: { app: cp.app, apiKey: cp.adminApiKey!, knownIds: [deviceId, uploaded.body.id, deployment.body.id] },
      mqtt: {
        client: device, runner: cp.app.get(DeviceMessageRunner), publisher: cp.app.get(MqttPublisher), deviceId,
        deploymentId: deployment.body.id, modelSha256: createHash('sha256').update(model).digest('hex'),
      },
    };
    ctx = {
      healthy: async () => (await cp.app.inject({ method: 'GET', url: '/health' })).statusCode === 200,
      rowCounts: async () => ({
        Device: await prisma.device.count(), ModelArtifact: await prisma.modelArtifact.count(), Deployment: await prisma.deployment.count(),
        DeploymentDevice: await prisma.deploymentDevice.count(), BenchmarkReport: await prisma.benchmarkReport.count(),
        Dataset: await prisma.dataset.count(), // The telemetry maintenance chain queues its own jobs in the background: only distillation jobs come from input.
        Job: await prisma.job.count({ where: { queue: DISTILLATION_QUEUE } }), FleetTarget: await prisma.fleetTarget.count(),
        ApiKey: await prisma.apiKey.count(), AuditEvent: await prisma.auditEvent.count(),
        Segment: await prisma.segment.count(), Rollout: await prisma.rollout.count(), RolloutDevice: await prisma.rolloutDevice.count(),
        TelemetryWindow: await prisma.telemetryWindow.count(), DeviceMessage: await prisma.deviceMessage.count(), ArtifactBlob: await prisma.artifactBlob.count(),
      }),
      get: <T>(name: string) => fixtures[name] as T,
    };
  });

  const line = (r: DoorReport) => {
    const rows = Object.keys(r.rowsChanged).length > 0 ? ` rows ${JSON.stringify(r.rowsChanged)}` : '';
    return `  ${r.door.padEnd(48)} ${String(r.inputs).padStart(5)} inputs ${String(r.refused).padStart(5)} refused ${String(r.accepted).padStart(5)} accepted ${String(r.ms).padStart(6)} ms${rows}`;
  };

  after(async () => {
    if (reports.length > 0) {
      console.log(`fuzz (${budget.runs} inputs per door${budget.seed !== undefined ? `, seed ${budget.seed}` : ''}):`);
      for (const r of reports) console.log(line(r));
      console.log(`  total ${reports.reduce((s, r) => s + r.inputs, 0)} inputs through ${reports.length} doors in ${Math.round(reports.reduce((s, r) => s + r.ms, 0) / 1000)} s`);
    }
    await device?.endAsync();
    await cp?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('MQTT: the payloads that escaped the runner or reached the database as errors get a rejected reply with the reason', async () => {
    const { deviceId, deploymentId, modelSha256 } = ctx.get<{ deviceId: string; deploymentId: string; modelSha256: string }>('mqtt');
    const reasons: string[] = [];
    device.on('message', (topic, payload) => {
      if (topic === topics.rejected(deviceId)) reasons.push((JSON.parse(payload.toString()) as RejectedMessage).reason);
    });
    await device.subscribeAsync(topics.rejected(deviceId), { qos: 1 });
    const hello = { v: 1, deviceId, agentVersion: '0.1.0', profile: profile() };
    const progress = { v: 1, deploymentId, sha256: modelSha256, state: 'downloading', receivedBlocks: 1, totalBlocks: 1 };
    const report = {
      v: 1, deploymentId, artifactSha256: modelSha256, outcome: 'failed', runs: 0, warmupRuns: 0, inputSource: 'synthetic',
      gateResults: [], simulated: false, measuredAt: new Date().toISOString(), failureReason: 'x',
    };
    const cases: Array<[string, string, RegExp]> = [
      [topics.hello(deviceId), JSON.stringify({ ...hello, tags: [{ constructor: 1 }] }), /tags\[0\]\.constructor.*not allowed/],
      [topics.hello(deviceId), JSON.stringify({ ...hello, profile: { ...hello.profile, constructor: {} } }), /profile\.constructor.*not allowed/],
      [topics.hello(deviceId), JSON.stringify({ ...hello, constructor: 'x' }), /constructor.*not allowed/],
      [topics.hello(deviceId), `{"v":1,"profile":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, /deeper than 32/],
      [topics.progress(deviceId), JSON.stringify({ ...progress, receivedBlocks: 2 ** 31, totalBlocks: 2 ** 31 }), /receivedBlocks/],
      [topics.report(deviceId), JSON.stringify({ ...report, runs: 2 ** 31 }), /runs/],
      [topics.report(deviceId), JSON.stringify({ ...report, failureReason: 'a\u0000b' }), /NUL/],
    ];
    for (const [topic, payload, reason] of cases) {
      const seen = reasons.length;
      await device.publishAsync(topic, payload, { qos: 1 });
      const deadline = Date.now() + 10_000;
      while (reasons.length === seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.match(reasons[seen] ?? '(no rejected reply)', reason, payload.slice(0, 120));
    }
    assert.ok(await ctx.healthy());
  });

  // MQTT first: the REST doors may delete or replace the fixtures the MQTT doors' valid messages point at.
  for (const family of ['mqtt', 'rest']) {
    it(`${family}: no 5xx / internal error, the service keeps answering, refused input writes nothing`, async () => {
      for (const door of await doorsOf(ctx, (f) => f === family)) {
        const r = await runDoor(ctx, door, budget);
        reports.push(r);
      }
    });
  }
});
