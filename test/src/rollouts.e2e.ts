/**
 * Staged rollouts against a real control plane (embedded PGlite + Aedes in this process) and 200 simulated devices
 * in three classes (the fleet simulator: each device is the real agent — its own MQTT login, desired-state checks,
 * block transfer, verification and reports — with one real onnxruntime measurement per class). `tight` devices
 * miss every gate (the simulator's gate fault), so a model with gates fails on that class and on no other.
 *
 * What is checked: a canary whose class fails its criteria rolls back and no device outside it ever heard of the
 * model; the rate is kept (from the recorded notification times); pause, resume and approve; a device that joins a
 * dynamic segment mid-rollout gets the model in the current wave; a control plane that dies holding a rollout's
 * lease is replaced after the lease expires and the rollout finishes with no device notified twice; a device the
 * gates reject is retried (a new deployment per attempt) before it counts for the abort criteria; stage mode stages
 * a wave's devices (fetched, verified, benchmarked, not active) and then switches them together.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PrismaClient } from '@edgefleet/db';
import { ControlPlane, DeploymentsService, startControlPlane } from '@edgefleet/control-plane';
import { PROFILE_PRESETS, startFleet, type Fleet } from '@edgefleet/device-agent';
import { Api, knownClassifier, modelForm, sleep, waitFor } from './support';

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});

type Notification = { deviceId: string; deploymentId: string; at: number };

describe('rollouts: 200 simulated devices in 3 classes', { timeout: 600_000 }, () => {
  const run = randomBytes(3).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-rollouts-'));
  const tag = `ro-${run}`;
  const adminKey = `rollout-admin-key-${run}-0123456789`;
  let env: Record<string, string | undefined>;
  let cp: ControlPlane;
  let api: Api;
  let fleet: Fleet;
  let joiner: Fleet | undefined;
  const notifications: Notification[] = [];
  const classOf = new Map<string, string>(); // device id → profile class
  const simClass = new Map<string, string>(); // profile class → simulator class name
  const models: Record<string, { id: string; sha256: string }> = {};

  /**
   * Records every desired state a rollout publishes, in every control plane this process starts (the real method
   * runs; this only watches). On the prototype, so a restarted control plane is watched from its first tick.
   */
  const realPublishTo = DeploymentsService.prototype.publishTo;
  DeploymentsService.prototype.publishTo = async function (this: DeploymentsService, deploymentId, deviceIds) {
    const reached = await realPublishTo.call(this, deploymentId, deviceIds);
    for (const deviceId of reached) notifications.push({ deviceId, deploymentId, at: Date.now() });
    return reached;
  };
  const start = async () => {
    cp = await startControlPlane(env);
    api = new Api(cp.apiUrl, adminKey);
  };
  const upload = async (name: string) => {
    const { model, evalSet } = knownClassifier(name);
    models[name] = await api.ok('POST', '/models', modelForm({ file: model, name: `${name}-${run}`, version: '1', evalSet }));
    return models[name]!;
  };
  const waitState = async (id: string, states: string[], timeoutMs: number) => {
    try {
      return await waitFor(`rollout ${id} in ${states.join('|')}`, async () => {
        const r = await api.ok('GET', `/rollouts/${id}`);
        return states.includes(r.state) ? r : undefined;
      }, timeoutMs, 100);
    } catch (err) {
      const r = await api.ok('GET', `/rollouts/${id}`);
      printDecisions(`rollout ${id} (timed out)`, r);
      console.log(`#   waves: ${JSON.stringify(r.waves)}`);
      throw err;
    }
  };
  /** Devices are registered over REST (their credential comes in the 201 answer), each with the tag of the run. */
  const register = async (deviceId: string, className: string) => {
    const profile = { clockMhz: 2000, ...PROFILE_PRESETS[className]! };
    const created = await api.ok('POST', '/devices', { id: deviceId, name: deviceId, tags: [tag], profile });
    return { username: created.credential.username as string, password: created.credential.password as string };
  };
  const printDecisions = (label: string, r: any) => {
    console.log(`# ${label}: ${r.state}`);
    for (const d of r.decisions) console.log(`#   wave ${d.wave} ${d.action} (${d.actor}): ${d.reason}`);
  };

  before(async () => {
    env = {
      PATH: process.env.PATH, DATA_DIR: join(dataDir, 'cp'), PORT: String(await freePort()), MQTT_PORT: String(await freePort()), ADMIN_API_KEY: adminKey,
      LOG_LEVEL: 'error', RATE_LIMIT_MAX: '0', ROLLOUT_TICK_MS: '200', ROLLOUT_LEASE_MS: '3000', AUTOPILOT_ENABLED: 'false',
    };
    const t0 = Date.now();
    await start();
    fleet = await startFleet({
      brokerUrl: cp.mqttUrl, credentials: register, trustedKeys: [cp.signingPublicKeyPem], dataDir: join(dataDir, 'fleet'), idPrefix: run,
      classes: [{ name: 'gateway', count: 120 }, { name: 'rpi4', count: 60 }, { name: 'tight', count: 20 }],
      faults: new Map([['tight', { gate: 1, crash: 0, offline: 0 }]]), seed: 11,
    });
    await waitFor('200 devices online', async () => {
      const page = await api.ok('GET', `/devices?tag=${tag}&status=online&limit=500`);
      return page.total === 200 ? page : undefined;
    }, 90_000);
    console.log(`# 200 devices online after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    for (const d of fleet.devices) {
      const dev = await api.ok('GET', `/devices/${d.deviceId}`);
      classOf.set(d.deviceId, dev.profileClass);
      simClass.set(dev.profileClass, d.className);
    }
    // Every device runs v1 first (no gates: `tight` activates it too), so there is a model to roll back to.
    const v1 = await upload('v1');
    const dep = await api.ok('POST', '/deployments', { artifactId: v1.id, tags: [tag] });
    let last = 0;
    const v1done = await waitFor('v1 installed everywhere', async () => {
      const d = await api.ok('GET', `/deployments/${dep.id}`);
      if (Date.now() - last > 10_000) {
        last = Date.now();
        console.log(`# v1: ${d.status} ${JSON.stringify(d.counts ?? {})} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      }
      return d.status !== 'in_progress' ? d : undefined;
    }, 180_000, 500);
    assert.equal(v1done.status, 'succeeded');
    console.log(`# setup: 200 devices enrolled, online and on v1 in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });

  after(async () => {
    DeploymentsService.prototype.publishTo = realPublishTo;
    await joiner?.stop();
    await fleet?.stop();
    await cp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a canary whose class fails its criteria rolls back; no device outside the canary ever received the model', async () => {
    const v2 = await upload('v2');
    const seg = await api.ok('POST', '/segments', { name: `all-${run}`, selector: { tags: [tag] } });
    const created = await api.ok('POST', '/rollouts', {
      name: `canary-${run}`, what: { artifactId: v2.id }, segmentId: seg.id, gates: { minAccuracy: 0.5 },
      waves: [{ percent: 1, success: { minPassPercent: 100, maxP95Ratio: 3 } }, { percent: 10 }, { percent: 100 }],
      abort: { failurePercent: 50, minDevices: 10, action: 'rollback' },
    });
    const r = await waitState(created.id, ['rolled_back', 'completed', 'paused'], 60_000);
    printDecisions('canary rollout', r);
    assert.equal(r.state, 'rolled_back');
    const canary = r.devices.filter((d: any) => d.notifiedAt).map((d: any) => d.deviceId).sort();
    assert.equal(canary.length, 3, 'the canary is 1 % of 200, at least one device per class');
    assert.deepEqual(new Set(canary.map((id: string) => simClass.get(classOf.get(id)!))), new Set(['gateway', 'rpi4', 'tight']));
    const tightClass = [...simClass].find(([, n]) => n === 'tight')![0];
    assert.match(r.decisions.find((d: any) => d.action === 'rollback').reason, new RegExp(`class ${tightClass}: pass rate 0% < 100%`));
    assert.deepEqual(r.decisions.map((d: any) => d.action), ['start', 'rollback', 'rolled-back']);
    // The model went to the canary and to no one else: not published, not fetched, not reported.
    const sent = notifications.filter((n) => r.deploymentIds.includes(n.deploymentId));
    assert.deepEqual([...new Set(sent.map((n) => n.deviceId))].sort(), canary, 'the rollout (wave and rollback) published to the canary only');
    for (const d of fleet.devices) {
      if (canary.includes(d.deviceId)) continue;
      assert.ok(!d.reports.some((x) => x.artifactSha256 === v2.sha256), `${d.deviceId} reported v2`);
      assert.notEqual(d.agent?.status().activeSha256, v2.sha256);
    }
    // Every canary device got a new desired state with v1 and reports it active again.
    for (const id of canary) {
      const d = fleet.devices.find((x) => x.deviceId === id)!;
      assert.equal(d.reports.at(-1)!.artifactSha256, models.v1!.sha256, `${id} reports v1 again`);
      assert.equal(d.reports.at(-1)!.outcome, 'activated');
      assert.equal(d.agent?.status().activeSha256, models.v1!.sha256);
    }
    const audit = await api.ok('GET', `/rollouts/${created.id}`);
    assert.equal(audit.classes[tightClass].rejected, 1);
  });

  test('rate limit, approval, pause/resume, and a device joining the dynamic segment mid-wave', async () => {
    const v3 = await upload('v3');
    const classes = [...simClass].filter(([, n]) => n !== 'tight').map(([c]) => c);
    // 60 of the 180 gateway and rpi4 devices (the rest excluded by id), so a device that enrolls later matches too.
    const others = fleet.devices.filter((d) => d.className !== 'tight').map((d) => d.deviceId).filter((_, i) => i % 3 !== 0);
    const seg = await api.ok('POST', '/segments', { name: `fast-${run}`, selector: { tags: [tag], profileClasses: classes, excludeDeviceIds: others } });
    const preview = await api.ok('POST', '/segments/preview', { selector: seg.selector });
    assert.equal(preview.count, 60);
    const perMinute = 120;
    const created = await api.ok('POST', '/rollouts', {
      name: `paced-${run}`, what: { artifactId: v3.id }, segmentId: seg.id, segmentMode: 'dynamic', gates: { minAccuracy: 0.5 },
      waves: [{ count: 6, requireApproval: true, success: { minPassPercent: 100 } }, { percent: 100, success: { minPassPercent: 100 } }],
      rate: { perMinute },
    });
    const waiting = await waitState(created.id, ['awaiting_approval', 'paused', 'rolled_back'], 60_000);
    assert.equal(waiting.state, 'awaiting_approval');
    assert.equal(waiting.devices.filter((d: any) => d.notifiedAt).length, 6);
    assert.equal((await api.call('POST', `/rollouts/${created.id}/resume`, {})).status, 409, 'resume is for paused rollouts');
    await api.ok('POST', `/rollouts/${created.id}/approve`, { note: 'canary looks good' });

    // A new device of a segment class enrolls mid-wave: it joins wave 1.
    joiner = await startFleet({
      brokerUrl: cp.mqttUrl, credentials: register, trustedKeys: [cp.signingPublicKeyPem], dataDir: join(dataDir, 'joiner'), idPrefix: `${run}j`,
      classes: [{ name: 'gateway', count: 1 }], seed: 3,
    });
    await waitFor('some of wave 1 notified', async () => {
      const r = await api.ok('GET', `/rollouts/${created.id}`);
      return r.devices.filter((d: any) => d.wave === 1 && d.notifiedAt).length >= 5 ? r : undefined;
    }, 30_000, 50);
    await api.ok('POST', `/rollouts/${created.id}/pause`, { note: 'checking' });
    const pausedAt = (await api.ok('GET', `/rollouts/${created.id}`)).devices.filter((d: any) => d.notifiedAt).length;
    assert.ok(pausedAt < 50, `paused mid-wave (${pausedAt} of 61 notified)`);
    await sleep(1500);
    const stillPaused = await api.ok('GET', `/rollouts/${created.id}`);
    assert.equal(stillPaused.state, 'paused');
    assert.equal(stillPaused.devices.filter((d: any) => d.notifiedAt).length, pausedAt, 'nothing is notified while paused');
    await api.ok('POST', `/rollouts/${created.id}/resume`, {});

    const done = await waitState(created.id, ['completed', 'rolled_back', 'paused'], 180_000);
    printDecisions('paced rollout', done);
    assert.equal(done.state, 'completed');
    assert.deepEqual(done.decisions.map((d: any) => d.action).filter((a: string) => a !== 'join'), ['start', 'await-approval', 'approve', 'pause', 'resume', 'complete']);
    const joined = done.devices.find((d: any) => d.deviceId === joiner!.devices[0]!.deviceId);
    assert.equal(joined?.wave, 1, 'the new device joined the wave that was running');
    assert.equal(joined?.outcome, 'active');
    assert.ok(done.decisions.some((d: any) => d.action === 'join' && d.wave === 1));
    assert.equal(joiner.devices[0]!.agent?.status().activeSha256, v3.sha256);
    assert.equal(done.devices.filter((d: any) => d.outcome === 'active').length, 61);
    // The rate, from the recorded notification times: k notifications since pacing (re)started at paceFrom
    // (the resume) never exceed 1 + perMinute × elapsed minutes; and the rate was what held the wave back.
    const paceFrom = Date.parse(done.paceFrom);
    const since = done.devices.filter((d: any) => d.notifiedAt && Date.parse(d.notifiedAt) >= paceFrom).map((d: any) => Date.parse(d.notifiedAt)).sort((a: number, b: number) => a - b);
    assert.ok(since.length >= 5, `${since.length} notified after the resume`);
    since.forEach((t: number, i: number) => assert.ok(i + 1 <= 1 + (perMinute * (t - paceFrom)) / 60_000, `notification ${i + 1} at +${t - paceFrom} ms`));
    const spanMs = since.at(-1)! - since[0]!;
    console.log(`# ${since.length} devices notified in ${spanMs} ms after the resume: ${((since.length - 1) / (spanMs / 60_000)).toFixed(0)}/min (limit ${perMinute}/min)`);
    assert.ok(spanMs >= ((since.length - 2) / perMinute) * 60_000, 'paced, not sent at once');
  });

  test('per-device retries: a gate-rejected device is notified again before it counts for the abort criteria', async () => {
    const v5 = await upload('v5');
    const tight = fleet.devices.filter((d) => d.className === 'tight').slice(-2).map((d) => d.deviceId);
    const ids = [...tight, ...fleet.devices.filter((d) => d.className === 'gateway').slice(-2).map((d) => d.deviceId)];
    const seg = await api.ok('POST', '/segments', { name: `retry-${run}`, selector: { deviceIds: ids } });
    const created = await api.ok('POST', '/rollouts', {
      name: `retry-${run}`, what: { artifactId: v5.id }, segmentId: seg.id, gates: { minAccuracy: 0.5 },
      retries: { rejected: 2, failed: 0, backoffSec: 1 }, abort: { failurePercent: 40, minDevices: 1, action: 'pause' },
    });
    const r = await waitState(created.id, ['paused', 'completed', 'rolled_back'], 60_000);
    printDecisions('retried rollout', r);
    assert.equal(r.state, 'paused');
    const actions = r.decisions.map((d: any) => d.action);
    assert.equal(actions[0], 'start');
    assert.equal(actions.at(-1), 'pause', 'the abort criteria met only once the retries were used up');
    assert.match(r.decisions.at(-1).reason, /2 of 4 finished devices failed \(2 rejected, 0 failed, 0 timed out\)/);
    const retried = r.decisions.filter((d: any) => d.action === 'retry').flatMap((d: any) => d.metrics.devices);
    assert.deepEqual(retried.map((d: any) => d.deviceId).sort(), [...tight, ...tight].sort(), 'each tight device retried twice');
    for (const id of tight) {
      const d = r.devices.find((x: any) => x.deviceId === id);
      assert.deepEqual({ outcome: d.outcome, attempts: d.attempts, retries: d.retries }, { outcome: 'rejected', attempts: 3, retries: { rejected: 2 } });
      assert.match(d.lastFailure, /^rejected/);
      const sent = notifications.filter((n) => n.deviceId === id && r.deploymentIds.includes(n.deploymentId));
      assert.equal(new Set(sent.map((n) => n.deploymentId)).size, 3, `${id}: a new deployment per attempt`);
      assert.equal(fleet.devices.find((x) => x.deviceId === id)!.reports.filter((x) => x.artifactSha256 === v5.sha256).length, 3, `${id} benchmarked v5 three times`);
    }
    for (const id of ids.filter((x) => !tight.includes(x))) {
      assert.deepEqual(r.devices.find((x: any) => x.deviceId === id).outcome, 'active');
      assert.equal(r.devices.find((x: any) => x.deviceId === id).attempts, 1);
    }
    await api.ok('POST', `/rollouts/${created.id}/cancel`, {});
  });

  test('stage mode: each wave downloads, verifies and benchmarks first, then switches together', async () => {
    const v6 = await upload('v6');
    const ids = [...fleet.devices.filter((d) => d.className === 'gateway').slice(-6, -2), ...fleet.devices.filter((d) => d.className === 'rpi4').slice(-2)].map((d) => d.deviceId);
    const seg = await api.ok('POST', '/segments', { name: `stage-${run}`, selector: { deviceIds: ids } });
    const created = await api.ok('POST', '/rollouts', {
      name: `stage-${run}`, what: { artifactId: v6.id }, segmentId: seg.id, gates: { minAccuracy: 0.5 }, stage: true,
      waves: [{ count: 3, success: { minPassPercent: 100 } }, { percent: 100 }],
    });
    const r = await waitState(created.id, ['completed', 'paused', 'rolled_back'], 90_000);
    printDecisions('staged rollout', r);
    assert.equal(r.state, 'completed');
    assert.deepEqual(r.decisions.map((d: any) => d.action), ['start', 'stage-switch', 'advance', 'stage-switch', 'complete']);
    for (const wave of [0, 1]) {
      const members = r.devices.filter((d: any) => d.wave === wave).map((d: any) => d.deviceId);
      const switched = Date.parse(r.decisions.find((d: any) => d.action === 'stage-switch' && d.wave === wave).at);
      assert.equal(r.decisions.find((d: any) => d.action === 'stage-switch' && d.wave === wave).metrics.staged, members.length, `wave ${wave}: every device staged before the switch`);
      // Each device got the deployment twice: with `stage`, then the switch; every switch after the last staging publication.
      const sent = notifications.filter((n) => members.includes(n.deviceId) && r.deploymentIds.includes(n.deploymentId));
      const perDevice = members.map((id: string) => sent.filter((n) => n.deviceId === id).map((n) => n.at));
      assert.ok(perDevice.every((ts: number[]) => ts.length === 2), `wave ${wave}: staged, then switched: ${JSON.stringify(perDevice)}`);
      assert.ok(Math.min(...perDevice.map((ts: number[]) => ts[1]!)) >= Math.max(...perDevice.map((ts: number[]) => ts[0]!)));
      for (const id of members) {
        const d = fleet.devices.find((x) => x.deviceId === id)!;
        const reports = d.reports.filter((x) => x.artifactSha256 === v6.sha256);
        assert.deepEqual(reports.map((x) => x.outcome), ['activated'], `${id}: one report, after the switch`);
        assert.ok(Date.parse(reports[0]!.measuredAt!) >= switched - 50, `${id} activated after the switch of wave ${wave}`);
        assert.equal(d.agent?.status().activeSha256, v6.sha256);
      }
    }
  });

  test('a control plane that dies holding the lease: another takes over when it expires and finishes, no device notified twice', async () => {
    const v4 = await upload('v4');
    const ids = fleet.devices.filter((d) => d.className !== 'tight').slice(0, 40).map((d) => d.deviceId);
    const seg = await api.ok('POST', '/segments', { name: `restart-${run}`, selector: { deviceIds: ids } });
    const created = await api.ok('POST', '/rollouts', { name: `restart-${run}`, what: { artifactId: v4.id }, segmentId: seg.id, rate: { perMinute: 600 } });
    await waitFor('a few notified', async () => {
      const r = await api.ok('GET', `/rollouts/${created.id}`);
      return r.devices.filter((d: any) => d.notifiedAt).length >= 8 ? r : undefined;
    }, 30_000, 50);
    // The driver "dies": its lease now belongs to an owner that will never renew it, for 3 s (ROLLOUT_LEASE_MS).
    const prisma = cp.app.get(PrismaClient);
    const deadUntil = new Date(Date.now() + 3000);
    await prisma.rollout.update({ where: { id: created.id }, data: { leaseOwner: 'cp-dead', leaseExpiresAt: deadUntil } });
    const before = await api.ok('GET', `/rollouts/${created.id}`);
    const notifiedBefore = before.devices.filter((d: any) => d.notifiedAt).length;
    assert.ok(notifiedBefore < 40, 'killed mid-wave');
    await cp.close();
    await start(); // same database and ports: the devices reconnect by themselves
    const done = await waitState(created.id, ['completed', 'paused', 'rolled_back'], 180_000);
    printDecisions('restarted rollout', done);
    assert.equal(done.state, 'completed');
    const mine = notifications.filter((n) => done.deploymentIds.includes(n.deploymentId));
    const perDevice = new Map<string, number>();
    for (const n of mine) perDevice.set(n.deviceId, (perDevice.get(n.deviceId) ?? 0) + 1);
    assert.equal(perDevice.size, 40);
    assert.deepEqual([...perDevice.values()].filter((n) => n !== 1), [], 'every device notified exactly once');
    assert.ok(done.devices.every((d: any) => d.attempts === 1 && d.outcome === 'active'));
    const afterRestart = done.devices.filter((d: any) => Date.parse(d.notifiedAt) >= deadUntil.getTime() - 50);
    assert.equal(afterRestart.length, 40 - notifiedBefore, 'the rest were notified only after the dead lease expired');
    await fleet.waitFor(() => ids.every((id) => fleet.devices.find((d) => d.deviceId === id)!.agent?.status().activeSha256 === v4.sha256), 30_000, 'v4 active on all 40');
  });
});
