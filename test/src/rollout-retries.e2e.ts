/**
 * Per-device retries of a rollout for the two failures a device cannot pass judgement on itself, with real agent
 * processes (`node device-agent/dist/main.js`, enrolled with a token) against a control plane in this process
 * (PGlite + embedded Aedes):
 * - `failed`: the device's disk is full (its state dir is a small tmpfs, mostly taken by a file): the agent's
 *   pre-flight check fails the install with reason "disk full"; once room is made, the retry installs.
 * - `timedOut`: the device is off (its agent killed) when it is notified; after inProgressTimeoutMin it times out,
 *   is retried, and installs the retry when it comes back.
 * The rollout is paused while the failures happen, so the fix (room made) comes before any retry however loaded
 * the machine is: a paused rollout retries nothing. Skipped (with the reason) when a tmpfs cannot be mounted (needs root).
 *
 * And a mass failure: 10 simulated devices (the fleet simulator: the agent's own code over MQTT, one real
 * onnxruntime measurement for the class) that all fail the gates every time, with all ten retries due at once, are
 * retried at the rollout's rate (which retries share with first notifications) — checked from the recorded
 * publication times.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ControlPlane, DeploymentsService, startControlPlane } from '@edgefleet/control-plane';
import { startFleet, type Fleet } from '@edgefleet/device-agent';
import { AgentProcess, Api, enrollmentToken, knownClassifier, modelForm, startAgentProcess, waitFor } from './support';

const run = promisify(execFile);

// The two tests run side by side (their devices, models, segments and rollouts are disjoint; each mostly waits: the
// policy's one-minute timeout, a 30 s backoff), which halves the file's time.
describe('rollout retries of failed and timed-out devices, with real agent processes', { timeout: 1_200_000, concurrency: true }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-rollout-retries-'));
  const agents = new Map<string, AgentProcess>();
  const FULL = 'rr-full-1';
  const OFF = 'rr-off-1';
  const fullDir = join(dataDir, 'agents', FULL);
  const filler = join(fullDir, 'filler.bin');
  let cp: ControlPlane;
  let api: Api;
  let token: string;
  let skip: string | undefined;
  let mounted = false;
  let fleet: Fleet | undefined;
  /** Every desired state published, by deployment (the real method runs; this only watches). */
  const published: Array<{ deviceId: string; deploymentId: string; at: number }> = [];
  const realPublishTo = DeploymentsService.prototype.publishTo;
  DeploymentsService.prototype.publishTo = async function (this: DeploymentsService, deploymentId, deviceIds) {
    const reached = await realPublishTo.call(this, deploymentId, deviceIds);
    for (const deviceId of reached) published.push({ deviceId, deploymentId, at: Date.now() });
    return reached;
  };

  const agent = (id: string, profile: string) => {
    const a = startAgentProcess({ brokerUrl: cp.mqttUrl, deviceId: id, profile, stateDir: join(dataDir, 'agents', id), trustKeyPath: cp.signingPublicKeyPath, enroll: { token, httpUrl: cp.httpUrl } });
    agents.set(id, a);
    return a;
  };
  const detail = (id: string) => api.ok('GET', `/rollouts/${id}`);
  const device = (r: any, id: string) => r.devices.find((d: any) => d.deviceId === id);
  const print = (r: any) => {
    console.log(`# rollout: ${r.state}`);
    for (const d of r.decisions) console.log(`#   wave ${d.wave} ${d.action} (${d.actor}): ${d.reason}`);
    for (const d of r.devices) console.log(`#   ${d.deviceId}: ${d.outcome}, attempts ${d.attempts}, retries ${JSON.stringify(d.retries ?? {})}, last failure ${d.lastFailure ?? '—'}${d.retryAt ? `, retry at ${d.retryAt}` : ''}`);
  };
  const until = async (what: string, id: string, ok: (r: any) => boolean, timeoutMs: number) => {
    try {
      return await waitFor(what, async () => { const r = await detail(id); return ok(r) ? r : undefined; }, timeoutMs, 200);
    } catch (err) {
      print(await detail(id));
      for (const [name, a] of agents) console.log(`# ${name} output (tail):\n${a.output().slice(-1500)}`);
      throw err;
    }
  };

  before(async () => {
    cp = await startControlPlane({
      PATH: process.env.PATH, DATA_DIR: join(dataDir, 'cp'), PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: 'rollout-retries-admin-key-0123456789', LOG_LEVEL: 'error',
      ROLLOUT_TICK_MS: '200', AUTOPILOT_ENABLED: 'false', RATE_LIMIT_MAX: '0',
    });
    api = new Api(cp.apiUrl, cp.adminApiKey);
    token = await enrollmentToken(cp.apiUrl, cp.adminApiKey!, ['rr']);
    mkdirSync(fullDir, { recursive: true });
    // An 8 MB disk for one device (tmpfs: this test runs as root; without root it is skipped, not simulated).
    mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', fullDir]).then(() => true, () => false);
    if (!mounted) {
      skip = 'cannot mount a small tmpfs (needs root)';
      return;
    }
    // 5 MB of it taken: the agent runs, but an install needs the object + 4 MB headroom (executor DISK_HEADROOM_BYTES).
    writeFileSync(filler, Buffer.alloc(5 * 1024 * 1024, 1));
    agent(FULL, 'gateway');
    agent(OFF, 'rpi4');
    await waitFor('both agents online', async () => (await api.ok('GET', '/devices?tag=rr&status=online')).total === 2, 90_000);
  });

  after(async () => {
    DeploymentsService.prototype.publishTo = realPublishTo;
    await fleet?.stop();
    await Promise.all([...agents.values()].map((a) => a.stop('SIGKILL')));
    await cp?.close();
    if (mounted) await run('umount', [fullDir]).catch(() => run('umount', ['-l', fullDir]));
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a device whose install failed (disk full) and one that timed out (off) are retried per the policy and end active; the counts are in the API', async (t) => {
    if (skip) return t.skip(skip);
    const { model, evalSet } = knownClassifier('retry-v1');
    const art = await api.ok('POST', '/models', modelForm({ file: model, name: 'retry-v1', version: '1', evalSet }));
    // The second device is off when the rollout reaches it.
    await agents.get(OFF)!.stop('SIGKILL');
    await waitFor('the second device offline', async () => (await api.ok('GET', `/devices/${OFF}`)).status === 'offline', 30_000);

    const seg = await api.ok('POST', '/segments', { name: 'retries', selector: { deviceIds: [FULL, OFF] } });
    const created = await api.ok('POST', '/rollouts', {
      name: 'retries', what: { artifactId: art.id }, segmentId: seg.id, gates: { minAccuracy: 0.5 },
      inProgressTimeoutMin: 1, retries: { failed: 1, timedOut: 1, backoffSec: 10 },
    });
    await until('both devices notified', created.id, (r) => r.devices.length === 2 && r.devices.every((d: any) => d.notifiedAt), 30_000);
    // Paused: the failures happen (the notified devices go on installing), the retries wait for the resume.
    await api.ok('POST', `/rollouts/${created.id}/pause`, { note: 'making room on the full device' });

    const failed = await until('the full device failed and waits for its retry', created.id, (r) => device(r, FULL)?.outcome === 'retrying', 60_000);
    assert.match(device(failed, FULL).lastFailure, /^failed: .*disk full/);
    assert.equal(device(failed, FULL).attempts, 1);
    const dep = await api.ok('GET', `/deployments/${failed.deploymentIds[0]}`);
    assert.equal(dep.devices.find((d: any) => d.deviceId === FULL).state, 'failed', 'the device reported the failure');
    rmSync(filler); // room made

    const timedOut = await until('the off device timed out and waits for its retry', created.id, (r) => device(r, OFF)?.outcome === 'retrying', 150_000);
    assert.equal(device(timedOut, OFF).lastFailure, 'timed_out');
    assert.equal(device(timedOut, OFF).attempts, 1);
    assert.deepEqual(timedOut.decisions.map((d: any) => d.action), ['start', 'pause'], 'a paused rollout retries nothing');
    assert.equal(timedOut.failureRate.finished, 0, 'a device waiting for its retry is not finished');

    await api.ok('POST', `/rollouts/${created.id}/resume`, {});
    await until('the off device retried', created.id, (r) => device(r, OFF)?.attempts === 2, 60_000);
    agent(OFF, 'rpi4'); // back on: it takes the retry's desired state
    const done = await until('the rollout completed', created.id, (r) => ['completed', 'paused', 'rolled_back'].includes(r.state), 120_000);
    print(done);
    assert.equal(done.state, 'completed');

    const full = device(done, FULL);
    const off = device(done, OFF);
    assert.deepEqual({ outcome: full.outcome, attempts: full.attempts, retries: full.retries }, { outcome: 'active', attempts: 2, retries: { failed: 1 } });
    assert.match(full.lastFailure, /^failed: .*disk full/);
    assert.deepEqual({ outcome: off.outcome, attempts: off.attempts, retries: off.retries }, { outcome: 'active', attempts: 2, retries: { timed_out: 1 } });
    assert.equal(off.lastFailure, 'timed_out');
    for (const d of [full, off]) {
      assert.equal(d.artifactId, art.id);
      assert.ok(d.accuracy > 0.5 && d.p95Ms > 0, `${d.deviceId}: its measurements are in the detail`);
    }
    assert.deepEqual(done.failureRate, { finished: 2, failures: 0, rejected: 0, failed: 0, timedOut: 0, percent: 0 });
    const actions = done.decisions.map((d: any) => d.action);
    assert.deepEqual([actions[0], actions[1], actions[2], actions.at(-1)], ['start', 'pause', 'resume', 'complete']);
    const retried = done.decisions.filter((d: any) => d.action === 'retry').flatMap((d: any) => d.metrics.devices);
    assert.deepEqual(retried.map((d: any) => `${d.deviceId} ${d.attempt} ${d.failure.split(':')[0]}`).sort(), [`${FULL} 2 failed`, `${OFF} 2 timed_out`]);

    // What the devices say: the full one reported a failure, then the activation; both run the model.
    const reports = (await api.ok('GET', `/devices/${FULL}/reports`)).items.filter((x: any) => x.artifactId === art.id);
    assert.deepEqual(reports.map((x: any) => x.activated).sort(), [false, true]);
    assert.match(reports.find((x: any) => !x.activated).failureReason, /disk full/);
    for (const id of [FULL, OFF]) {
      const state = JSON.parse(readFileSync(join(dataDir, 'agents', id, 'state.json'), 'utf8'));
      assert.equal(state.active?.sha256, art.sha256, `${id} runs the model`);
    }
    assert.equal((await api.ok('GET', `/devices/${OFF}`)).activeArtifactId, art.id);
  });
  test('a mass failure is retried at the rollout\'s rate: ten retries due at once are spread, never sent together', async () => {
    const massToken = await enrollmentToken(cp.apiUrl, cp.adminApiKey!, ['rr-mass'], 20);
    fleet = await startFleet({
      brokerUrl: cp.mqttUrl, apiUrl: cp.httpUrl, enrollToken: massToken, trustedKeys: [cp.signingPublicKeyPem], dataDir: join(dataDir, 'fleet'), idPrefix: 'rr-mass',
      classes: [{ name: 'tight', count: 10 }], faults: new Map([['tight', { gate: 1, crash: 0, offline: 0 }]]), seed: 5,
    });
    await waitFor('10 simulated devices online', async () => (await api.ok('GET', '/devices?tag=rr-mass&status=online')).total === 10, 120_000);
    // Every device fails the gates, every time. The rollout is paused once all are notified, before the first retry is
    // due (backoff ≥ 15 s); resumed once all ten retries are due: pacing restarts at the resume (paceFrom), and ten
    // due retries meet an allowance of one — unpaced, they would all go in one step.
    const { model, evalSet } = knownClassifier('retry-mass');
    const art = await api.ok('POST', '/models', modelForm({ file: model, name: 'retry-mass', version: '1', evalSet }));
    const seg = await api.ok('POST', '/segments', { name: 'mass', selector: { tags: ['rr-mass'] } });
    const perMinute = 60;
    const created = await api.ok('POST', '/rollouts', {
      name: 'mass', what: { artifactId: art.id }, segmentId: seg.id, gates: { minAccuracy: 0.5 }, rate: { perMinute }, retries: { rejected: 1, backoffSec: 30 },
    });
    await until('all 10 notified', created.id, (x) => x.devices.length === 10 && x.devices.every((d: any) => d.notifiedAt), 120_000);
    await api.ok('POST', `/rollouts/${created.id}/pause`, { note: 'mass failure' });
    const failed = await until('all 10 failed, their retries due', created.id, (x) => x.devices.every((d: any) => d.outcome === 'retrying' && Date.parse(d.retryAt) < Date.now()), 400_000);
    assert.equal(failed.decisions.filter((d: any) => d.action === 'retry').length, 0, 'paused before any retry');
    await api.ok('POST', `/rollouts/${created.id}/resume`, {});
    const r = await until('the mass-failure rollout finished', created.id, (x) => ['completed', 'paused', 'rolled_back'].includes(x.state), 180_000);
    print(r);
    assert.equal(r.state, 'completed');
    assert.ok(r.devices.every((d: any) => d.outcome === 'rejected' && d.attempts === 2 && d.retries.rejected === 1), 'each device retried once, then a failure');
    assert.deepEqual(r.failureRate, { finished: 10, failures: 10, rejected: 10, failed: 0, timedOut: 0, percent: 100 });
    const retries = r.decisions.filter((d: any) => d.action === 'retry');
    assert.equal(retries.reduce((n: number, d: any) => n + d.metrics.count, 0), 10);
    assert.ok(retries[0].metrics.count < 10, `the first step after the resume retried ${retries[0].metrics.count} of the 10 due: ${retries[0].reason}`);
    // Every retry published after the resume, from the recorded times: the k-th at most 1 + perMinute × minutes since paceFrom.
    const paceFrom = Date.parse(r.paceFrom);
    const retryDeployments = new Set(published.filter((n) => r.deploymentIds.includes(n.deploymentId) && n.at >= paceFrom).map((n) => n.deploymentId));
    const sent = published.filter((n) => retryDeployments.has(n.deploymentId)).map((n) => n.at).sort((a, b) => a - b);
    assert.equal(sent.length, 10);
    sent.forEach((t, i) => assert.ok(i + 1 <= 1 + (perMinute * (t - paceFrom)) / 60_000, `retry ${i + 1} of 10 at +${t - paceFrom} ms exceeds ${perMinute}/min`));
    console.log(`# 10 due retries published over ${sent.at(-1)! - sent[0]!} ms after the resume (limit ${perMinute}/min: ≥ ${((9 / perMinute) * 60).toFixed(1)} s), in ${retries.length} retry decisions: ${retries.map((d: any) => d.metrics.count).join(' + ')}`);
  });
});
