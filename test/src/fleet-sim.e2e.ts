/**
 * The fleet simulator against a real control plane (embedded PGlite + Aedes, in this process): 60 simulated devices
 * in three classes enroll with a token, take one deployment through the real protocol (the agent's own desired-state
 * checks, block transfer, verification and reports), with faults injected per class: every `tight` device fails its
 * gates, some `rpi4` devices are stopped mid-download and restarted, some `gateway` devices drop off when the desired
 * state arrives and come back. The benchmark is one real onnxruntime measurement per class (nothing mocked).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ControlPlane, startControlPlane } from '@edgefleet/control-plane';
import { startFleet, type Fleet } from '@edgefleet/device-agent';
import { Api, enrollmentToken, knownClassifier, modelForm, waitFor } from './support';

describe('fleet simulator: 60 devices through a real deployment', { timeout: 120_000 }, () => {
  const run = randomBytes(3).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-sim-'));
  const tag = `sim-${run}`;
  let cp: ControlPlane;
  let api: Api;
  let fleet: Fleet | undefined;

  before(async () => {
    cp = await startControlPlane({ PATH: process.env.PATH, DATA_DIR: join(dataDir, 'cp'), PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: `sim-admin-key-${run}-0123456789`, LOG_LEVEL: 'error', RATE_LIMIT_MAX: '0' });
    api = new Api(cp.apiUrl, cp.adminApiKey);
  });

  after(async () => {
    await fleet?.stop();
    await cp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('every device reports once; gates, crashes and outages do what the class says', async () => {
    const token = await enrollmentToken(cp.apiUrl, cp.adminApiKey!, [tag], 100);
    fleet = await startFleet({
      brokerUrl: cp.mqttUrl, apiUrl: cp.httpUrl, enrollToken: token, dataDir: join(dataDir, 'fleet'), idPrefix: run,
      classes: [{ name: 'gateway', count: 30 }, { name: 'rpi4', count: 20 }, { name: 'tight', count: 10 }],
      faults: new Map([['tight', { gate: 1, crash: 0, offline: 0 }], ['rpi4', { gate: 0, crash: 0.3, offline: 0 }], ['gateway', { gate: 0, crash: 0, offline: 0.2 }]]),
      restartMs: 300, offlineMs: 1500, seed: 7,
    });
    const { model, evalSet } = knownClassifier();
    const art = await api.ok('POST', '/models', modelForm({ file: model, name: `sim-${run}`, version: '1', evalSet }));
    await waitFor('60 devices online', async () => {
      const page = await api.ok('GET', `/devices?tag=${tag}&status=online&limit=100`);
      return page.total === 60 ? page : undefined;
    }, 30_000);

    const dep = await api.ok('POST', '/deployments', { artifactId: art.id, tags: [tag], gates: { minAccuracy: 0.9 } });
    await fleet.waitFor(() => fleet!.devices.every((d) => d.reports.some((r) => r.deploymentId === dep.id)), 60_000, 'a report from every device');
    const done = await waitFor('every row finished', async () => {
      const d = await api.ok('GET', `/deployments/${dep.id}`);
      return d.devices.every((x: { state: string }) => ['active', 'rejected', 'failed'].includes(x.state)) ? d : undefined;
    }, 30_000);

    // A device that dropped off after reporting comes back on its own.
    await fleet.waitFor(() => fleet!.devices.every((d) => d.agent?.status().connected), 30_000, 'every device back online');
    const byId = new Map<string, { state: string }>(done.devices.map((x: { deviceId: string; state: string }) => [x.deviceId, x]));
    assert.equal(byId.size, 60);
    for (const d of fleet.devices) {
      assert.equal(byId.get(d.deviceId)?.state, d.className === 'tight' ? 'rejected' : 'active', `${d.deviceId} (${d.className}): ${JSON.stringify(byId.get(d.deviceId))}`);
      const mine = d.reports.filter((r) => r.deploymentId === dep.id);
      assert.equal(mine.at(-1)!.outcome, d.className === 'tight' ? 'rejected' : 'activated');
      assert.equal(d.agent?.status().activeSha256, d.className === 'tight' ? undefined : art.sha256, `${d.deviceId} runs what the API says`);
    }
    const outcomes = fleet.outcomes(dep.id);
    assert.deepEqual(outcomes, { activated: 50, rejected: 10, failed: 0 });
    // Faults were drawn and fired: crashed devices resumed and finished, offline ones came back.
    const crashed = fleet.devices.filter((d) => d.crashes > 0);
    const outaged = fleet.devices.filter((d) => d.outages > 0);
    assert.ok(crashed.length > 0 && crashed.every((d) => d.className === 'rpi4'), `crashes: ${crashed.map((d) => d.deviceId)}`);
    assert.ok(outaged.length > 0 && outaged.every((d) => d.className === 'gateway'), `outages: ${outaged.map((d) => d.deviceId)}`);
    // One real measurement per class (and the model), not one per device.
    assert.equal(fleet.benchmarks.measurements, 3);
    // Each device's noise makes its own numbers; the class's slowdown orders the classes.
    const p95 = (cls: string) => fleet!.devices.filter((d) => d.className === cls).map((d) => d.reports.at(-1)!.latency!.p95Ms);
    assert.ok(new Set(p95('gateway')).size > 1, 'devices of one class report different latencies');
    const reports = await api.ok('GET', `/devices/${fleet.devices[0]!.deviceId}/reports`);
    assert.equal(reports.items.filter((r: { deploymentId: string }) => r.deploymentId === dep.id).length, 1, 'stored once');
  });
});
