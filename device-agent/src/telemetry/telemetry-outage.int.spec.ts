/**
 * Offline buffering against a real broker outage: a Mosquitto this test starts on a free port (never the shared
 * one) is stopped while the reporter closes windows, and started again on the same port. The windows closed
 * during the outage wait on disk and arrive after it, oldest first; no window is lost, and each is deleted only
 * when acknowledged. The link is AgentLink's publishTelemetry contract (refuse while offline, resolve on PUBACK)
 * over a plain MQTT.js client; the subscriber plays the control plane and acks each message on the device's
 * `ack` topic, which the device's client hands to the reporter as AgentLink does.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { AckMessage, PROTOCOL_VERSION, TelemetryMessage, parseMessage, topics, type TelemetryWindow } from '@edgefleet/contracts';
import { silentLogger } from '../lib/logger';
import { summarizeOutput } from '../serving/output-summary';
import { TelemetryReporter, type TelemetryLink } from './telemetry-reporter';
import { until as untilEvery } from '../testing/until';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});
const until = (what: string, ok: () => boolean) => untilEvery(what, ok, 20_000, 25);

describe('telemetry offline queue through a broker outage (own Mosquitto)', { timeout: 90_000 }, () => {
  const dirs: string[] = [];
  let broker: ChildProcess | undefined;
  after(async () => {
    broker?.kill('SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('replays the windows closed while the broker was down, oldest first, each once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'telemetry-outage-'));
    dirs.push(dir);
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    const startBroker = async () => {
      broker = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
      await sleep(300);
    };
    const stopBroker = () => new Promise<void>((resolve) => {
      broker!.once('exit', () => resolve());
      broker!.kill('SIGKILL');
    });
    await startBroker();
    const url = `mqtt://127.0.0.1:${port}`;
    const device = 'dev-outage';
    const received: TelemetryWindow[] = [];
    const sub = await mqtt.connectAsync(url, { clientId: 'sub', clean: true, reconnectPeriod: 200 });
    const subscribe = () => sub.subscribeAsync(topics.telemetry(device), { qos: 1 });
    await subscribe();
    sub.on('connect', () => void subscribe());
    sub.on('message', (_t, payload) => {
      const m = parseMessage(TelemetryMessage, payload);
      assert.ok(m.ok);
      received.push(...m.value.windows);
      const ack: AckMessage = { v: PROTOCOL_VERSION, msgId: m.value.msgId! };
      if (m.value.msgId) void sub.publishAsync(topics.ack(device), JSON.stringify(ack), { qos: 1 }).catch(() => undefined);
    });
    const client = await mqtt.connectAsync(url, { clientId: device, clean: true, reconnectPeriod: 200 });
    const subscribeAcks = () => client.subscribeAsync(topics.ack(device), { qos: 1 });
    await subscribeAcks();
    client.on('connect', () => void subscribeAcks());
    client.on('message', (_t, payload) => {
      const a = parseMessage(AckMessage, payload);
      if (a.ok) void reporter.acked(a.value.msgId);
    });
    const link: TelemetryLink = {
      get connected() {
        return client.connected;
      },
      publishTelemetry: async (msg) => {
        if (!client.connected) throw new Error('not connected');
        await client.publishAsync(topics.telemetry(device), JSON.stringify(msg), { qos: 1 });
      },
    };
    const reporter = new TelemetryReporter(join(dir, 'state'), '0.0.0-test', link, () => undefined, silentLogger, { windowS: 3600 });
    await reporter.start();
    const closeWindow = async (n: number) => {
      for (let i = 0; i < n; i++) reporter.onInference({ sha256: 'e'.repeat(64) }, 1, summarizeOutput([0.2, 0.8]), 2);
      await reporter.tick();
      await sleep(5);
    };
    try {
      await closeWindow(1);
      await until('the first window', () => received.length === 1);
      await until('its ack', () => reporter.queued === 0);

      await stopBroker();
      await until('the client noticing', () => !client.connected);
      for (let n = 2; n <= 6; n++) await closeWindow(n); // windows of 2…6 inferences, while offline
      assert.equal(reporter.queued, 5, 'kept on disk');

      await startBroker();
      await until('the reconnect', () => client.connected && sub.connected);
      await sleep(200); // the subscriber's SUBSCRIBE lands before the replay
      await reporter.flush(true);
      await until('the replay', () => new Set(received.map((w) => w.id)).size === 6);
      // At least once: a copy of a message whose ack was lost may come twice; first arrivals are in order.
      assert.deepEqual([...new Map(received.map((w) => [w.id, w.n])).values()], [1, 2, 3, 4, 5, 6], 'oldest first, none lost');
      await until('the acks', () => reporter.queued === 0);
    } finally {
      await reporter.stop();
      await client.endAsync(true);
      await sub.endAsync(true);
    }
  });
});
