/**
 * A control plane killed for real (SIGKILL) in the middle of a rollout, on PostgreSQL + Mosquitto (127.0.0.1:5432 /
 * :1883, a temporary database; run under the suite lock): control plane A is a child process (`node main.js`, as
 * `npm start` runs it) that takes the rollout's lease (the rollout is created through A, which looks at once) and
 * notifies part of the wave; control plane B (this process, a slower tick) runs all along, cannot take the lease
 * while A renews it, and takes it once A was killed and the lease expired (ROLLOUT_LEASE_MS). B finishes the rollout: every device active, one wave deployment, one `start` and one
 * `complete`, and — counted on the broker by a subscriber of every desired state — no device sent the wave's desired
 * state twice, except one A published to but died before recording (B publishes it again: at-least-once). The devices are the fleet simulator (the real agent code, its own MQTT login each).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { PrismaClient } from '@edgefleet/db';
import { createTempPostgresDatabase, type TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { ControlPlane, startControlPlane } from '@edgefleet/control-plane';
import { RolloutDriver } from '@edgefleet/control-plane/dist/rollouts/rollout.driver';
import { freePort } from '@edgefleet/control-plane/dist/mqtt/testing/own-mosquitto';
import { PROFILE_PRESETS, startFleet, type Fleet } from '@edgefleet/device-agent';
import { Api, knownClassifier, modelForm, sharedServicesMissing, sleep, waitFor } from './support';

const CP_MAIN = resolve(__dirname, '../../apps/control-plane/dist/main.js');
const DEVICES = 16;

describe('rollout driver killed with SIGKILL on PostgreSQL: another control plane takes the lease and finishes', { timeout: 240_000 }, () => {
  const run = randomBytes(3).toString('hex');
  const root = mkdtempSync(join(tmpdir(), 'edgefleet-takeover-'));
  const adminKey = `takeover-admin-key-${run}-0123456789`;
  let skip: string | undefined;
  let pg: TempPostgresDatabase | undefined;
  let a: ChildProcess | undefined;
  let aOut = '';
  let b: ControlPlane | undefined;
  let fleet: Fleet | undefined;
  let watcher: MqttClient | undefined;
  /** deviceId → desired states seen on the broker, as deploymentId|seq. */
  const desired = new Map<string, string[]>();
  let env: Record<string, string | undefined> = {};
  let port = 0;

  before(async () => {
    skip = await sharedServicesMissing();
    if (skip) return;
    pg = await createTempPostgresDatabase();
    env = {
      PATH: process.env.PATH, DATABASE_URL: pg.url, MQTT_URL: 'mqtt://127.0.0.1:1883', SIGNING_KEY_DIR: join(root, 'keys'), ADMIN_API_KEY: adminKey,
      LOG_LEVEL: 'error', RATE_LIMIT_MAX: '0', EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false', ROLLOUT_LEASE_MS: '4000',
    };
    b = await startControlPlane({ ...env, DATA_DIR: join(root, 'cp-b'), PORT: '0', ROLLOUT_TICK_MS: '1000' });
    port = await freePort();
    a = spawn(process.execPath, [CP_MAIN], { env: { ...env, DATA_DIR: join(root, 'cp-a'), PORT: String(port), ROLLOUT_TICK_MS: '200' }, stdio: ['ignore', 'pipe', 'pipe'] });
    a.stdout!.on('data', (d: Buffer) => { aOut += d.toString(); });
    a.stderr!.on('data', (d: Buffer) => { aOut += d.toString(); });
    const api = new Api(`http://127.0.0.1:${port}/api/v1`, adminKey);
    await waitFor('control plane A up', async () => (await api.call('GET', '/trusted-keys').catch(() => undefined))?.status === 200 || undefined, 60_000, 200)
      .catch((err: unknown) => { throw new Error(`${(err as Error).message}\n${aOut}`); });

    watcher = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: `takeover-watch-${run}`, reconnectPeriod: 0 });
    watcher.on('message', (topic, payload) => {
      const deviceId = topic.split('/')[3]!;
      if (!deviceId.startsWith(run) || payload.length === 0) return;
      const m = JSON.parse(payload.toString()) as { deploymentId: string; seq: number };
      desired.set(deviceId, [...(desired.get(deviceId) ?? []), `${m.deploymentId}|${m.seq}`]);
    });
    await watcher.subscribeAsync('edgefleet/v1/devices/+/desired', { qos: 1 });
  });

  after(async () => {
    a?.kill('SIGKILL');
    await fleet?.stop();
    await watcher?.endAsync();
    await b?.close();
    await pg?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('A notifies part of the wave and is killed; B waits for the lease, then finishes with every device notified once', async (t) => {
    if (skip) return t.skip(skip);
    const apiA = new Api(`http://127.0.0.1:${port}/api/v1`, adminKey);
    const keys = (await apiA.ok('GET', '/trusted-keys')).keys as Array<{ publicKeyPem: string }>;
    const tag = `takeover-${run}`;
    fleet = await startFleet({
      brokerUrl: 'mqtt://127.0.0.1:1883', trustedKeys: keys.map((k) => k.publicKeyPem), dataDir: join(root, 'fleet'), idPrefix: run,
      classes: [{ name: 'gateway', count: DEVICES }], seed: 5,
      credentials: async (deviceId, className) => {
        const created = await apiA.ok('POST', '/devices', { id: deviceId, name: deviceId, tags: [tag], profile: { clockMhz: 2000, ...PROFILE_PRESETS[className]! } });
        return { username: created.credential.username as string, password: created.credential.password as string };
      },
    });
    await waitFor(`${DEVICES} devices online`, async () => ((await apiA.ok('GET', `/devices?tag=${tag}&status=online&limit=100`)).total === DEVICES) || undefined, 60_000);
    const { model, evalSet } = knownClassifier('takeover');
    const v1 = await apiA.ok('POST', '/models', modelForm({ file: model, name: `takeover-${run}`, version: '1', evalSet }));
    const seg = await apiA.ok('POST', '/segments', { name: `takeover-${run}`, selector: { tags: [tag] } });
    // 60/min: one device a second, so A is mid-wave when it dies.
    const rollout = await apiA.ok('POST', '/rollouts', { name: `takeover-${run}`, what: { artifactId: v1.id }, segmentId: seg.id, rate: { perMinute: 60 } });
    const prisma = b!.app.get(PrismaClient);
    const ownerB = b!.app.get(RolloutDriver).owner;
    const apiB = new Api(b!.apiUrl, adminKey);
    await waitFor('A notified a few devices', async () => {
      const d = await apiA.ok('GET', `/rollouts/${rollout.id}`);
      return d.devices.filter((x: any) => x.notifiedAt).length >= 3 || undefined;
    }, 30_000, 100);
    const heldByA = (await prisma.rollout.findUniqueOrThrow({ where: { id: rollout.id } })).leaseOwner;
    assert.ok(heldByA && heldByA !== ownerB, `held by A (${heldByA})`);
    await sleep(1500);
    assert.equal((await prisma.rollout.findUniqueOrThrow({ where: { id: rollout.id } })).leaseOwner, heldByA, 'B does not take a lease A renews');

    a!.kill('SIGKILL');
    const killedAt = Date.now();
    const notifiedByA = (await apiB.ok('GET', `/rollouts/${rollout.id}`)).devices.filter((x: any) => x.notifiedAt).length;
    assert.ok(notifiedByA < DEVICES, `A was killed mid-wave (${notifiedByA} of ${DEVICES} notified)`);

    const done = await waitFor('B finished the rollout', async () => {
      const d = await apiB.ok('GET', `/rollouts/${rollout.id}`);
      return ['completed', 'paused', 'rolled_back'].includes(d.state) ? d : undefined;
    }, 120_000, 200);
    for (const d of done.decisions) console.log(`#   wave ${d.wave} ${d.action}: ${d.reason}`);
    assert.equal(done.state, 'completed');
    assert.equal((await prisma.rollout.findUniqueOrThrow({ where: { id: rollout.id } })).leaseOwner, ownerB);
    assert.deepEqual(done.decisions.map((d: any) => d.action), ['start', 'complete'], 'one start, one completion: nothing decided twice');
    assert.equal(await prisma.deployment.count({ where: { rolloutId: rollout.id } }), 1, 'one wave deployment');
    assert.ok(done.devices.every((d: any) => d.outcome === 'active' && d.attempts === 1), JSON.stringify(done.devices));
    const afterKill = done.devices.filter((d: any) => Date.parse(d.notifiedAt) >= killedAt);
    assert.ok(afterKill.length >= DEVICES - notifiedByA - 1, `B notified the rest (${afterKill.length})`);
    // On the broker: each device received the wave's desired state once — except a device A published to but died
    // before recording it (notified before the kill, publishedAt written by B after it): B publishes that one again
    // (at-least-once; the agent takes the same deployment re-signed as a refresh, not as new work).
    const [deploymentId] = done.deploymentIds as string[];
    const rows = await prisma.rolloutDevice.findMany({ where: { rolloutId: rollout.id } });
    const republished = new Set(rows.filter((x) => x.notifiedAt && x.notifiedAt.getTime() < killedAt && x.publishedAt && x.publishedAt.getTime() >= killedAt).map((x) => x.deviceId));
    const perDevice = fleet.devices.map((d) => (desired.get(d.deviceId) ?? []).filter((x) => x.startsWith(`${deploymentId}|`)).length);
    assert.deepEqual(perDevice.map((n, i) => (republished.has(fleet!.devices[i]!.deviceId) && n === 2 ? 1 : n)), fleet.devices.map(() => 1),
      `every device got the desired state once (twice allowed only for ${[...republished].join(', ') || 'none'}: published by A, recorded by B)`);
    console.log(`# A notified ${notifiedByA} of ${DEVICES} before SIGKILL; B took the lease and notified the rest in ${((Date.now() - killedAt) / 1000).toFixed(1)} s; ${republished.size} published by A but recorded by B`);
  });
});
