/**
 * Integration: the MQTT edge of the control plane against the embedded Aedes AND the real Mosquitto
 * (MQTT_URL, default mqtt://127.0.0.1:1883; skipped when down unless CI=true). Device/deployment services are
 * recorders (see testing/mqtt-test-app.ts: the part under test is the MQTT edge); broker, Nest transport,
 * validation, block server, artifact store and signing are real.
 */
import { after, before, describe, it as test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  DesiredStateMessage, HelloMessage, PROTOCOL_VERSION, RejectedMessage, topics, verifyDesiredState,
} from '@edgefleet/contracts';
import { MqttBrokerService } from './mqtt-broker.service';
import { DeviceCredentialService } from '../identity/device-credential.service';
import { MqttPortInUseError } from './mqtt.errors';
import { AppConfig } from '@edgefleet/platform';
import { MqttProbe } from './testing/mqtt-probe';
import { startMqttTestApp, type MqttTestApp } from './testing/mqtt-test-app';
import { skipReason, testBrokers } from './testing/test-brokers';

const hello = (deviceId: string): HelloMessage => ({
  v: PROTOCOL_VERSION,
  deviceId,
  agentVersion: '0.1.0',
  profile: { arch: 'arm64', cores: 4, ramMb: 2048 },
});

const desired = (sha256: string, size: number) => ({
  deploymentId: randomUUID(),
  issuedAt: new Date().toISOString(),
  artifact: { id: 'a1', name: 'mlp', version: '1', precision: 'int8' as const, sha256, size, blockSize: 65536 },
  gates: { maxLatencyP95Ms: 20 },
});

const rejectionsFor = (probe: MqttProbe, deviceId: string) => (t: string) => t === topics.rejected(deviceId);
const parseRejected = (b: Buffer) => JSON.parse(b.toString()) as RejectedMessage;

for (const broker of testBrokers()) {
  describe(`MQTT edge on ${broker.name}`, () => {
    let cp: MqttTestApp;
    let device: MqttProbe;
    let skip: string | undefined;
    const id = `it-${randomUUID().slice(0, 8)}`;
    /** node:test cannot skip a suite from its before hook, so each test asks. */
    const it = (name: string, fn: () => Promise<void>) =>
      test(name, async (t) => (skip ? t.skip(skip) : fn()));

    before(async () => {
      skip = await skipReason(broker);
      if (skip) return;
      cp = await startMqttTestApp({ mqttUrl: broker.mqttUrl });
      device = await MqttProbe.connect(cp.url);
      await device.subscribe(topics.rejected(id));
      await device.subscribe(topics.blockWildcard(id));
    });
    after(async () => {
      await device?.close();
      await cp?.close();
    });

    void it('rejects a malformed, wrong-version or over-specified hello, then still processes a valid one', async () => {
      const bad = [
        ['{"v":1,"deviceId":', 'not JSON'],
        [JSON.stringify({ ...hello(id), v: 2 }), 'v'],
        [JSON.stringify({ ...hello(id), sneaky: true }), 'sneaky'],
        [JSON.stringify(hello('someone-else')), 'topic'],
      ] as const;
      for (const [payload] of bad) await device.publish(topics.hello(id), payload);
      const rejected = await device.waitFor(rejectionsFor(device, id), bad.length);
      const reasons = rejected.map((m) => parseRejected(m.payload));
      for (const r of reasons) assert.equal(r.topic, topics.hello(id));
      for (const [, needle] of bad) assert.ok(reasons.some((r) => r.reason.includes(needle)), `a rejection mentions ${needle}: ${JSON.stringify(reasons)}`);
      assert.equal(cp.devices.hellos.filter((h) => h.deviceId === id || h.deviceId === 'someone-else').length, 0);

      await device.publish(topics.hello(id), JSON.stringify(hello(id)));
      await until(() => cp.deployments.republished.includes(id));
      assert.deepEqual({ ...cp.devices.hellos.find((h) => h.deviceId === id)?.profile }, hello(id).profile);
    });

    void it('routes status and progress, and rejects what the services refuse', async () => {
      await device.publish(topics.status(id), JSON.stringify({ v: 1, state: 'online' }));
      await until(() => cp.devices.statuses.some((s) => s.deviceId === id && s.state === 'online'));

      cp.deployments.unknownDevices.add(id);
      const progress = { v: 1, deploymentId: 'd1', sha256: 'a'.repeat(64), state: 'downloading', receivedBlocks: 1, totalBlocks: 2 };
      await device.publish(topics.progress(id), JSON.stringify(progress));
      await device.waitFor((t, p) => t === topics.rejected(id) && parseRejected(p).topic === topics.progress(id) && /device .* not found/.test(parseRejected(p).reason));
      cp.deployments.unknownDevices.delete(id);
      await device.publish(topics.progress(id), JSON.stringify(progress));
      await until(() => cp.deployments.progress.some((p) => p.deviceId === id));
    });

    void it('answers a block request with exactly the right bytes, and rejects unknown or out-of-range objects', async () => {
      const blockSize = cp.config.blockSize;
      const bytes = randomBytes(blockSize * 3 + 1234);
      const { sha256 } = await cp.store.put(bytes);

      await device.publish(topics.blockRequest(id), JSON.stringify({ v: 1, sha256, index: 1, count: 10 }));
      const blocks = await device.waitFor((t) => t.startsWith(`${topics.blockWildcard(id).slice(0, -1)}${sha256}/`), 3);
      const byIndex = new Map(blocks.map((b) => [Number(b.topic.split('/').at(-1)), b.payload]));
      assert.deepEqual([...byIndex.keys()].sort(), [1, 2, 3]);
      for (const [i, payload] of byIndex) assert.ok(payload.equals(bytes.subarray(i * blockSize, (i + 1) * blockSize)), `block ${i}`);
      assert.equal(byIndex.get(3)!.length, 1234);

      // Other control planes on a shared Mosquitto (parallel test runs) may add their own rejections on this
      // device's topic, so wait for the two reasons rather than for a count.
      await device.publish(topics.blockRequest(id), JSON.stringify({ v: 1, sha256: 'b'.repeat(64), index: 0 }));
      await device.publish(topics.blockRequest(id), JSON.stringify({ v: 1, sha256, index: 4 }));
      const reason = (needle: string) => (t: string, p: Buffer) => t === topics.rejected(id) && parseRejected(p).reason.includes(needle);
      await device.waitFor(reason(`"${'b'.repeat(64)}" not found`));
      await device.waitFor(reason(`block 4 of ${sha256} is out of range`));
    });

    void it('retains the signed desired state for a device that subscribes later, and clears it', async () => {
      const { sha256, size } = await cp.store.put(randomBytes(5000));
      const state = desired(sha256, size);
      await cp.ota.publishDesired(id, state);

      const late = await MqttProbe.connect(cp.url);
      try {
        await late.subscribe(topics.desired(id));
        const [msg] = await late.waitFor((t) => t === topics.desired(id));
        assert.equal(msg!.retain, true);
        const got = JSON.parse(msg!.payload.toString()) as DesiredStateMessage;
        assert.equal(got.artifact.sha256, sha256);
        assert.equal(got.deviceId, id, 'bound to the device');
        assert.ok(Date.parse(got.expiresAt) > Date.now());
        assert.equal(verifyDesiredState(got, [cp.ota.publicKeyPem()]), true);
        const again = await cp.ota.sign(id, state);
        assert.equal(again.seq, got.seq + 1, 'every signed desired state of a device gets the next seq');
        assert.equal(await readFile(cp.ota.publicKeyPath(), 'utf8'), cp.ota.publicKeyPem());
        assert.equal(verifyDesiredState({ ...got, gates: { maxLatencyP95Ms: 999 } }, [cp.ota.publicKeyPem()]), false);
      } finally {
        await late.close();
      }

      await cp.ota.clearDesired(id);
      const later = await MqttProbe.connect(cp.url);
      try {
        await later.subscribe(topics.desired(id));
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(later.messages((t) => t === topics.desired(id)).length, 0);
      } finally {
        await later.close();
      }
    });

    if (!broker.mqttUrl) {
      void it('names the port when the embedded broker cannot bind it', async () => {
        const port = cp.broker.port!;
        const config = AppConfig.fromEnv({ MQTT_PORT: String(port), PORT: '0', DATA_DIR: cp.config.dataDir });
        const second = new MqttBrokerService(config, cp.app.get(DeviceCredentialService));
        await assert.rejects(second.start(), (err: unknown) => err instanceof MqttPortInUseError && err.message.includes(String(port)));
      });
    }
  });
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
