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
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ControlPlane, startControlPlane } from '@edgefleet/control-plane';
import { AgentProcess, Api, enrollmentToken, knownClassifier, modelForm, startAgentProcess, waitFor } from './support';

const run = promisify(execFile);

describe('rollout retries of failed and timed-out devices, with real agent processes', { timeout: 420_000 }, () => {
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
    for (const d of r.devices) console.log(`#   ${d.deviceId}: ${d.outcome}, attempts ${d.attempts}, retries ${JSON.stringify(d.retries ?? {})}, last failure ${d.lastFailure ?? '—'}`);
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
    mkdirSync(fullDir, { recursive: true });
    // An 8 MB disk for one device (tmpfs: this test runs as root; without root it is skipped, not simulated).
    mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', fullDir]).then(() => true, () => false);
    if (!mounted) {
      skip = 'cannot mount a small tmpfs (needs root)';
      return;
    }
    // 5 MB of it taken: the agent runs, but an install needs the object + 4 MB headroom (executor DISK_HEADROOM_BYTES).
    writeFileSync(filler, Buffer.alloc(5 * 1024 * 1024, 1));
    cp = await startControlPlane({
      PATH: process.env.PATH, DATA_DIR: join(dataDir, 'cp'), PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: 'rollout-retries-admin-key-0123456789', LOG_LEVEL: 'error',
      ROLLOUT_TICK_MS: '200', AUTOPILOT_ENABLED: 'false',
    });
    api = new Api(cp.apiUrl, cp.adminApiKey);
    token = await enrollmentToken(cp.apiUrl, cp.adminApiKey!, ['rr']);
    agent(FULL, 'gateway');
    agent(OFF, 'rpi4');
    await waitFor('both agents online', async () => (await api.ok('GET', '/devices?tag=rr&status=online')).total === 2, 90_000);
  });

  after(async () => {
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
});
