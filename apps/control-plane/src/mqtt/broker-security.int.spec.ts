/**
 * The attacks of issue 9 that concern identity and broker access, each performed against the whole control
 * plane (PGlite, real broker, real handlers) on the embedded Aedes AND on a Mosquitto this test starts on its
 * own port with the configuration `npm run broker:mosquitto-config` generates (never the shared 1883). Each
 * asserts the attack is refused and that the database is exactly as before.
 *
 * The legitimate devices are MQTT.js clients that log in as the agent will (client id = username = device id,
 * password from the REST credential); the agent's own enrollment is tested on its side.
 */
import { after, before, describe, it as test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { PrismaClient } from '@edgefleet/db';
import { PROTOCOL_VERSION, topics } from '@edgefleet/contracts';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { ApiClient, evalSetFor, profile, tinyClassifier } from '../testing/factories';
import { BlockServer } from '../ota/block-server.service';
import { MqttBrokerService } from './mqtt-broker.service';
import { mosquittoAvailable, startOwnMosquitto, type OwnMosquitto } from './testing/own-mosquitto';

const ADMIN = 'broker-security-admin-key-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Login { clientId: string; username?: string; password?: string }

async function login(url: string, l: Login): Promise<MqttClient> {
  return mqtt.connectAsync(url, { ...l, reconnectPeriod: 0, connectTimeout: 4000, protocolVersion: 4 }, false);
}

/** Waits until the control plane recorded the device as seen on the broker (its connection event is asynchronous). */
async function waitForSeen(prisma: PrismaClient, deviceId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await prisma.device.findUniqueOrThrow({ where: { id: deviceId } })).lastSeenAt) return;
    await sleep(50);
  }
  throw new Error(`${deviceId} was never marked seen`);
}

/** Resolves with the refusal when the broker refuses the login; fails the test when it accepts. */
async function refusedLogin(url: string, l: Login): Promise<string> {
  try {
    const c = await login(url, l);
    await c.endAsync();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`the broker accepted ${JSON.stringify({ ...l, password: l.password ? '***' : undefined })}`);
}

/** SUBACK return codes (128 = refused) for each filter. */
async function subscribeCodes(c: MqttClient, filters: string[]): Promise<number[]> {
  const codes: number[] = [];
  for (const f of filters) {
    try {
      codes.push(...(await c.subscribeAsync(f, { qos: 1 })).map((g) => g.qos));
    } catch (err) {
      const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
      if (!granted) throw err;
      codes.push(...granted);
    }
  }
  return codes;
}

/** Everything an attack could write: devices (minus liveness), credentials, deployment rows, reports, audit. */
async function snapshot(prisma: PrismaClient): Promise<string> {
  const [devices, credentials, rows, reports, audit] = await Promise.all([
    prisma.device.findMany({ orderBy: { id: 'asc' }, select: { id: true, name: true, tags: true, profile: true, profileClass: true, agentVersion: true, activeArtifactId: true } }),
    prisma.deviceCredential.findMany({ orderBy: { deviceId: 'asc' }, select: { deviceId: true, hash: true } }),
    prisma.deploymentDevice.findMany({ orderBy: { id: 'asc' }, select: { id: true, state: true, receivedBlocks: true, error: true } }),
    prisma.benchmarkReport.count(),
    prisma.auditEvent.count(),
  ]);
  return JSON.stringify({ devices, credentials, rows, reports, audit });
}

const report = (deploymentId: string, sha256: string) => JSON.stringify({
  v: PROTOCOL_VERSION, deploymentId, artifactSha256: sha256, outcome: 'activated', runs: 100, warmupRuns: 5,
  latency: { p50Ms: 0.001, p95Ms: 0.001, p99Ms: 0.001, meanMs: 0.001 }, inputSource: 'synthetic', gateResults: [],
});
const hello = (deviceId: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({ v: PROTOCOL_VERSION, deviceId, agentVersion: '6.6.6', profile: profile({ name: 'forged', cores: 64, ramMb: 999999 }), ...over });

const brokers = [{ name: 'embedded Aedes', mosquitto: false }, { name: 'own Mosquitto (generated dynamic-security config)', mosquitto: true }];

for (const b of brokers) {
  describe(`closed fleet on ${b.name}`, () => {
    let skip: string | undefined;
    let dir: string;
    let mosq: OwnMosquitto | undefined;
    let cp: ControlPlane;
    let prisma: PrismaClient;
    let api: ApiClient;
    let url: string;
    const victim = { id: 'victim-1', password: '' };
    const insider = { id: 'insider-1', password: '' };
    let victimClient: MqttClient;
    let victimDeployment: { id: string; sha256: string; size: number };
    const victimMessages: Array<{ topic: string; payload: Buffer }> = [];
    const it = (name: string, fn: () => Promise<void>) => test(name, { timeout: 60_000 }, async (t) => (skip ? t.skip(skip) : fn()));

    before(async () => {
      if (b.mosquitto && !(await mosquittoAvailable())) {
        skip = 'mosquitto is not installed';
        if (process.env['CI'] === 'true') throw new Error(`${skip}, and CI=true requires it`);
        return;
      }
      dir = await mkdtemp(join(tmpdir(), 'edgefleet-closed-'));
      const env: Record<string, string> = { DATA_DIR: dir, PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'error', BLOCK_SIZE: '1024' };
      if (b.mosquitto) {
        mosq = await startOwnMosquitto(dir);
        Object.assign(env, mosq.env);
      }
      cp = await startControlPlane(env);
      prisma = cp.app.get(PrismaClient);
      url = cp.mqttUrl;
      api = new ApiClient(cp.httpUrl, ADMIN);
      for (const d of [victim, insider]) {
        const res = await api.post('/api/v1/devices', { id: d.id, tags: ['closed'], profile: profile() });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.body.credential.username, d.id);
        d.password = res.body.credential.password;
      }
      // Each device has an open deployment of its own model (the flooder must be allowed to ask for blocks).
      const deploy = async (seed: number, deviceId: string) => {
        const model = await api.uploadModel({ name: `m${seed}`, version: '1' }, tinyClassifier(256, 20, seed), evalSetFor(256, 20));
        assert.equal(model.status, 201, JSON.stringify(model.body));
        const dep = await api.post('/api/v1/deployments', { artifactId: model.body.id, deviceIds: [deviceId] });
        assert.equal(dep.status, 201, JSON.stringify(dep.body));
        return { id: dep.body.id as string, sha256: model.body.sha256 as string, size: model.body.sizeBytes as number };
      };
      victimDeployment = await deploy(1, victim.id);
      await deploy(2, insider.id);
      victimClient = await login(url, { clientId: victim.id, username: victim.id, password: victim.password });
      victimClient.on('message', (topic, payload) => victimMessages.push({ topic, payload }));
      await victimClient.subscribeAsync(`${topics.desired(victim.id).replace(/desired$/, '#')}`, { qos: 1 });
    }, { timeout: 180_000 });

    after(async () => {
      await victimClient?.endAsync(true).catch(() => undefined);
      await cp?.close();
      await mosq?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** Runs `attack`, gives the control plane time to act on anything that got through, checks nothing changed. */
    async function writesNothing(attack: () => Promise<void>): Promise<void> {
      const before = await snapshot(prisma);
      await attack();
      await sleep(700);
      assert.equal(await snapshot(prisma), before, 'the attack changed the database');
    }

    void it('a legitimate device logs in with its own credential and receives its signed desired state', async () => {
      const deadline = Date.now() + 10_000;
      while (!victimMessages.some((m) => m.topic === topics.desired(victim.id)) && Date.now() < deadline) await sleep(50);
      const got = victimMessages.find((m) => m.topic === topics.desired(victim.id));
      assert.ok(got, 'no desired state arrived');
      assert.equal(JSON.parse(got.payload.toString()).deploymentId, victimDeployment.id);
    });

    void it('attack: anonymous connect (and subscribe to #) is refused', async () => {
      await writesNothing(async () => {
        assert.match(await refusedLogin(url, { clientId: 'outsider' }), /Not authorized|Bad username|authori/i);
        assert.match(await refusedLogin(url, { clientId: 'outsider', username: 'outsider', password: 'guess' }), /Not authorized|Bad username|authori/i);
      });
    });

    void it('attack: an enrolled device subscribing to #, $SYS or another device\'s topics is refused', async () => {
      const c = await login(url, { clientId: insider.id, username: insider.id, password: insider.password });
      try {
        const codes = await subscribeCodes(c, ['#', '$SYS/#', `edgefleet/v1/devices/${victim.id}/#`, 'edgefleet/v1/devices/+/desired', 'edgefleet/#']);
        assert.deepEqual(codes, [128, 128, 128, 128, 128]);
        assert.notEqual((await subscribeCodes(c, [`edgefleet/v1/devices/${insider.id}/#`]))[0], 128);
      } finally {
        await c.endAsync(true);
      }
    });

    void it('attack: report and hello for another device (flip its deployment, forge its profile) change nothing', async () => {
      await writesNothing(async () => {
        const c = await login(url, { clientId: insider.id, username: insider.id, password: insider.password });
        c.publish(topics.report(victim.id), report(victimDeployment.id, victimDeployment.sha256), { qos: 0 });
        c.publish(topics.hello(victim.id), hello(victim.id), { qos: 0 });
        c.publish(topics.report('unregistered-1'), report(victimDeployment.id, victimDeployment.sha256), { qos: 0 });
        await sleep(300);
        await c.endAsync(true);
      });
      const v = await api.get(`/api/v1/devices/${victim.id}`);
      assert.equal(v.body.profile.cores, 4);
      const dep = await api.get(`/api/v1/deployments/${victimDeployment.id}`);
      assert.equal(dep.body.status, 'in_progress');
    });

    void it('attack: 300 hellos for new devices create none — even when the broker lets them through (defence in depth)', async () => {
      const devicesBefore = await prisma.device.count();
      await writesNothing(async () => {
        const c = await login(url, { clientId: insider.id, username: insider.id, password: insider.password });
        for (let i = 0; i < 300; i++) c.publish(topics.hello(`fake-${i}`), hello(`fake-${i}`), { qos: 0 });
        await sleep(300);
        await c.endAsync(true);
        // The control plane's own identity may publish anywhere: a broker ACL hole simulated. The control plane
        // itself must still refuse hellos, reports and block requests of devices it never enrolled.
        const service = await login(url, { clientId: 'edgefleet-cp-attack', username: cp.config.mqttUsername, password: serviceSecret(cp) });
        for (let i = 0; i < 300; i++) service.publish(topics.hello(`hole-${i}`), hello(`hole-${i}`), { qos: 0 });
        service.publish(topics.report('hole-x'), report(victimDeployment.id, victimDeployment.sha256), { qos: 0 });
        await sleep(500);
        await service.endAsync(true);
      });
      assert.equal(await prisma.device.count(), devicesBefore);
    });

    void it('attack: fetching the blocks of an object the device is not deploying is refused (and other devices\' topics too)', async () => {
      await writesNothing(async () => {
        const c = await login(url, { clientId: insider.id, username: insider.id, password: insider.password });
        try {
          const rejected = new Promise<string>((res) => c.on('message', (t, p) => { if (t === topics.rejected(insider.id)) res(p.toString()); }));
          const blocks: string[] = [];
          c.on('message', (t) => { if (t.includes('/block/')) blocks.push(t); });
          await c.subscribeAsync(`edgefleet/v1/devices/${insider.id}/#`, { qos: 1 });
          c.publish(topics.blockRequest(insider.id), JSON.stringify({ v: 1, sha256: victimDeployment.sha256, index: 0, count: 4 }), { qos: 1 });
          assert.match(await rejected, /not found/);
          await sleep(300);
          assert.deepEqual(blocks, []);
        } finally {
          await c.endAsync(true);
        }
      });
    });

    void it('attack: connecting with a device\'s client id does not kick it off', async () => {
      let kicked = false;
      victimClient.once('close', () => { kicked = true; });
      await writesNothing(async () => {
        await refusedLogin(url, { clientId: victim.id });
        await refusedLogin(url, { clientId: victim.id, username: insider.id, password: insider.password });
        await refusedLogin(url, { clientId: victim.id, username: victim.id, password: 'wrong-password-0123456789' });
      });
      assert.equal(kicked, false, 'the victim was disconnected');
      assert.equal(victimClient.connected, true);
    });

    void it('attack: one 100 MB message is refused at the broker without taking the control plane down', async () => {
      await writesNothing(async () => {
        const c = await login(url, { clientId: insider.id, username: insider.id, password: insider.password });
        const closed = new Promise<void>((res) => c.once('close', () => res()));
        c.on('error', () => undefined);
        const started = Date.now();
        c.publish(topics.report(insider.id), Buffer.alloc(100 * 1024 * 1024, 0x7b), { qos: 0 });
        await closed;
        assert.ok(Date.now() - started < 10_000, 'the connection was cut');
        c.end(true);
      });
      assert.equal((await api.get('/health')).status, 200);
      // The insider may still log in (being cut off for an oversized packet is not a ban).
      (await login(url, { clientId: insider.id, username: insider.id, password: insider.password })).end(true);
    });

    void it('attack: a device flooding block requests does not starve another device\'s fetch', async () => {
      const blockSize = cp.config.blockSize;
      const total = Math.ceil(victimDeployment.size / blockSize);
      assert.ok(total >= 17, `the victim's model has ${total} blocks`);
      const flooder = await login(url, { clientId: insider.id, username: insider.id, password: insider.password });
      const insiderModel = (await prisma.deploymentDevice.findFirstOrThrow({ where: { deviceId: insider.id }, select: { deployment: { select: { artifact: { select: { sha256: true } } } } } })).deployment.artifact.sha256;
      let flooding = true;
      let sent = 0;
      const flood = (async () => {
        while (flooding) {
          for (let i = 0; i < 50; i++, sent++) flooder.publish(topics.blockRequest(insider.id), JSON.stringify({ v: 1, sha256: insiderModel, index: 0, count: 64 }), { qos: 0 });
          await sleep(5);
        }
      })();
      try {
        await sleep(500); // the flood is under way before the legitimate fetch starts
        const got = new Set<number>();
        const started = Date.now();
        const done = new Promise<void>((res) => victimClient.on('message', (t) => {
          const m = t.match(/\/block\/([0-9a-f]{64})\/(\d+)$/);
          if (m && m[1] === victimDeployment.sha256) got.add(Number(m[2]));
          if (got.size === total) res();
        }));
        // Like the agent: re-ask for what is missing every second.
        const ask = async () => {
          for (let i = 0; i < total; i += 16) {
            await victimClient.publishAsync(topics.blockRequest(victim.id), JSON.stringify({ v: 1, sha256: victimDeployment.sha256, index: i, count: Math.min(16, total - i) }), { qos: 1 });
          }
        };
        await ask();
        const timer = setInterval(() => void ask().catch(() => undefined), 1000);
        const timeout = sleep(10_000).then(() => { throw new Error(`only ${got.size}/${total} blocks in 10 s under the flood`); });
        try {
          await Promise.race([done, timeout]);
        } finally {
          clearInterval(timer);
        }
        console.log(`# ${b.name}: ${total}-block fetch took ${Date.now() - started} ms while the flooder sent ${sent} requests (${cp.app.get(BlockServer).droppedRequests} dropped by the rate limit)`);
      } finally {
        flooding = false;
        await flood;
        flooder.end(true);
      }
    });

    void it('enrollment: a token enrolls within its limits, and the credential it issues opens only its own session', async () => {
      const anon = api.withKey(undefined);
      const enroll = (token: string, deviceId: string, over: Record<string, unknown> = {}) =>
        anon.post('/api/v1/enroll', { token, deviceId, agentVersion: '0.1.0', profile: profile(), ...over });
      assert.equal((await anon.post('/api/v1/enrollment-tokens', {})).status, 401, 'creating tokens needs an API key');
      const created = await api.post('/api/v1/enrollment-tokens', { maxUses: 2, tags: ['site-a'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const token = created.body.token as string;
      assert.match(token, /^efe_/);

      assert.equal((await enroll(`${token}x`, 'enr-0')).status, 401);
      const first = await enroll(token, 'enr-1', { tags: ['cam'] });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.deepEqual(first.body.mqtt.username, 'enr-1');
      assert.equal(first.body.mqtt.clientId, 'enr-1');
      assert.equal(first.body.trustedKeys[0].algorithm, 'ed25519');
      assert.deepEqual((await api.get('/api/v1/devices/enr-1')).body.tags.sort(), ['cam', 'site-a']);
      // The same device and token again before the device ever connected: the retry of an enrollment whose answer
      // was lost. It gets a new credential (the lost one stops working) and takes no second use of the token.
      const retried = await enroll(token, 'enr-1', { tags: ['cam'] });
      assert.equal(retried.status, 201, JSON.stringify(retried.body));
      assert.notEqual(retried.body.mqtt.password, first.body.mqtt.password);
      await refusedLogin(url, { clientId: 'enr-1', username: 'enr-1', password: first.body.mqtt.password });
      assert.equal((await enroll(token, 'enr-1', { profile: { ...profile(), ramMb: 2048 } })).status, 409, 'another hardware class is not a retry');
      const online = await login(url, { clientId: 'enr-1', username: 'enr-1', password: retried.body.mqtt.password });
      await online.publishAsync(topics.hello('enr-1'), hello('enr-1', { profile: profile() }), { qos: 1 });
      await online.endAsync();
      await waitForSeen(prisma, 'enr-1');
      assert.equal((await enroll(token, 'enr-1')).status, 409, 'once the device connected, a creating token may not take it over');
      assert.equal((await enroll(token, victim.id)).status, 409);
      assert.equal((await enroll(token, 'edgefleet-control-plane')).status, 400);
      assert.equal((await enroll(token, 'enr-2')).status, 201, 'a refused attempt rolls back and uses nothing');
      assert.equal((await enroll(token, 'enr-3')).status, 401, 'maxUses 2: used up');

      const c = await login(url, { clientId: 'enr-1', username: 'enr-1', password: retried.body.mqtt.password });
      assert.deepEqual(await subscribeCodes(c, [`edgefleet/v1/devices/${victim.id}/#`]), [128]);
      await c.endAsync(true);

      const narrow = await api.post('/api/v1/enrollment-tokens', { maxUses: 5, profileClass: '0000000000000000', allowCreate: true });
      assert.equal((await enroll(narrow.body.token, 'enr-4')).status, 422, 'profile outside the token\'s class');
      const existingOnly = await api.post('/api/v1/enrollment-tokens', { maxUses: 5, allowCreate: false, tags: ['closed'] });
      assert.equal((await enroll(existingOnly.body.token, 'enr-5')).status, 403);
      assert.equal((await api.delete(`/api/v1/enrollment-tokens/${existingOnly.body.id}`)).status, 204);
      assert.equal((await enroll(existingOnly.body.token, victim.id)).status, 401, 'revoked');
      const listed = await api.get('/api/v1/enrollment-tokens');
      assert.equal(listed.status, 200);
      assert.ok(listed.body.every((t: Record<string, unknown>) => t['token'] === undefined), 'no secrets in the list');
      assert.equal(listed.body.find((t: { id: string }) => t.id === created.body.id).uses, 2);
      const expired = await api.post('/api/v1/enrollment-tokens', { expiresAt: new Date(Date.now() - 1000).toISOString() });
      assert.equal(expired.status, 422);
      const stored = await prisma.deviceCredential.findUniqueOrThrow({ where: { deviceId: 'enr-1' } });
      assert.match(stored.hash, /^sha256\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}$/);
      assert.ok(!stored.hash.includes(first.body.mqtt.password) && !stored.brokerHash.includes(first.body.mqtt.password));
    });

    void it('rotation: the old secret stops working and its session is closed; the new one logs in', async () => {
      const old = await login(url, { clientId: insider.id, username: insider.id, password: insider.password });
      const closed = new Promise<void>((res) => old.once('close', () => res()));
      const res = await api.post(`/api/v1/devices/${insider.id}/credential`);
      assert.equal(res.status, 201);
      await Promise.race([closed, sleep(3000).then(() => { throw new Error('old session still open 3 s after rotation'); })]);
      await refusedLogin(url, { clientId: insider.id, username: insider.id, password: insider.password });
      insider.password = res.body.password;
      (await login(url, { clientId: insider.id, username: insider.id, password: insider.password })).end(true);
    });

    void it('revocation: deleting a device closes its session at once and refuses its logins', async () => {
      const c = await login(url, { clientId: insider.id, username: insider.id, password: insider.password });
      const closed = new Promise<void>((res) => c.once('close', () => res()));
      assert.equal((await api.delete(`/api/v1/devices/${insider.id}`)).status, 204);
      await Promise.race([closed, sleep(3000).then(() => { throw new Error('revoked session still open after 3 s'); })]);
      await refusedLogin(url, { clientId: insider.id, username: insider.id, password: insider.password });
    });
  });
}

/** The control plane's own broker secret (generated for the embedded broker, from control-plane.env for Mosquitto). */
function serviceSecret(cp: ControlPlane): string {
  if (cp.config.mqttPassword) return cp.config.mqttPassword;
  return (cp.app.get(MqttBrokerService).serviceLogin().password)!;
}
