/**
 * `npm run bench -- telemetry [--db postgres|pglite] [--messages 4000] [--windows 8] [--clients 20] [--infer 2000] [--soak] [--json]`
 *
 * 1. Ingest: the same telemetry payloads (simulated windows, device-agent/src/telemetry/simulated-telemetry.ts)
 *    published by `--clients` MQTT clients through the control plane's broker, (a) to a topic only a bare
 *    subscriber reads — the raw broker's messages/s — and (b) to the devices' telemetry topics, counted when
 *    the windows are committed in the database — stored messages/s. Ratio b / a (goal ≥ 0.5). Both sides end
 *    with the acknowledgement the device waits for: the control plane acks each message on `…/ack` after its
 *    batch committed, and the bare subscriber acks each one on `edgefleet/bench-raw/<id>/ack` as it arrives (the
 *    same message pattern: publish, deliver, ack publish, ack delivery); one client counts the acks of both.
 * 2. Serving overhead: p50/p99 of `POST /v1/infer` on the agent's endpoint against `session.run` on the same
 *    model and input in this process, alternated in blocks.
 * 3. `--soak`: `--soak-devices` (5000) simulated devices × 1 window per second for `--soak-minutes` (10); prints
 *    ingest lag, pending windows and RSS every 10 s. Not part of npm test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import * as ort from 'onnxruntime-node';
import { topics } from '@edgefleet/contracts';
import { startControlPlane, type ControlPlane } from '@edgefleet/control-plane/dist/bootstrap';
import { tinyClassifier } from '@edgefleet/control-plane/dist/testing/factories';
import { TelemetryIngest } from '@edgefleet/control-plane/dist/telemetry/telemetry-ingest.service';
import { TelemetryRepository } from '@edgefleet/control-plane/dist/telemetry/telemetry.repository';
import { createTempPostgresDatabase, type TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { InferHttpServer, ModelServer, silentLogger, simulatedTelemetryMessage } from '@edgefleet/device-agent';
import { Prng, type CommandLine, type CommandSpec } from '@edgefleet/toolkit';

export const command: CommandSpec = {
  name: 'bench telemetry',
  invocation: 'npm run bench -- telemetry',
  summary: 'Telemetry messages/s stored in the database vs the raw broker\'s messages/s for the same payloads; the agent\'s POST /v1/infer overhead vs onnxruntime directly.',
  options: {
    db: { type: 'string', arg: 'postgres|pglite', help: 'database of the control plane (default postgres: a fresh database on TEST_DATABASE_URL\'s server)' },
    messages: { type: 'string', arg: '<n>', help: 'telemetry messages per side (default 4000)' },
    windows: { type: 'string', arg: '<n>', help: 'windows per message (default 8)' },
    clients: { type: 'string', arg: '<n>', help: 'publishing MQTT clients (default 20)' },
    infer: { type: 'string', arg: '<n>', help: 'inferences per side for the serving overhead (default 2000)' },
    soak: { type: 'boolean', help: 'run the soak instead (long)' },
    'soak-devices': { type: 'string', arg: '<n>', help: 'simulated devices (default 5000)' },
    'soak-minutes': { type: 'string', arg: '<n>', help: 'duration (default 10)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
};

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publishes `count` messages (payloadOf(i) is called right before message i is sent) over the clients, QoS 1. */
async function publishAll(clients: MqttClient[], count: number, payloadOf: (i: number) => string, topicOf: (i: number) => string): Promise<void> {
  let next = 0;
  await Promise.all(clients.map(async (c) => {
    const inflight: Array<Promise<unknown>> = [];
    while (next < count) {
      const i = next++;
      inflight.push(c.publishAsync(topicOf(i), payloadOf(i), { qos: 1 }));
      if (inflight.length >= 32) await inflight.shift();
    }
    await Promise.all(inflight);
  }));
}

async function ingest(cp: ControlPlane, o: { messages: number; windows: number; clients: number }) {
  const prng = new Prng(7);
  const model = 'ab'.repeat(32);
  const payloads = Array.from({ length: o.messages }, () => JSON.stringify(simulatedTelemetryMessage(prng, o.windows, { model, classes: 10, inferences: 50 })));
  const bytes = payloads.reduce((a, p) => a + p.length, 0) / payloads.length;
  const clients = await Promise.all(Array.from({ length: o.clients }, (_, i) => mqtt.connectAsync(cp.mqttUrl, { clientId: `bench-tele-${i}`, reconnectPeriod: 0 })));
  const sub = await mqtt.connectAsync(cp.mqttUrl, { clientId: 'bench-tele-sub', reconnectPeriod: 0 });
  // The devices' side of the acknowledgements: counts the acks of both phases.
  const acker = await mqtt.connectAsync(cp.mqttUrl, { clientId: 'bench-tele-acks', reconnectPeriod: 0 });
  let acks = 0;
  let acked: () => void = () => undefined;
  acker.on('message', () => {
    if (++acks === o.messages) acked();
  });
  await acker.subscribeAsync(['edgefleet/bench-raw/+/ack', topics.ack('+')], { qos: 1 });
  const allAcked = () => {
    acks = 0;
    return new Promise<void>((r) => (acked = r));
  };
  try {
    // (a) the raw broker: a bare subscriber acks each delivery, as the control plane does after its commit.
    const rawAcks = allAcked();
    sub.on('message', (topic, payload) => {
      // The simulated message starts with {"v":1,"msgId":"…": the id without a parse (the raw side does no ingest work).
      const msgId = /"msgId":"([^"]+)"/.exec(payload.subarray(0, 64).toString('latin1'))?.[1];
      void sub.publishAsync(topic.replace(/telemetry$/, 'ack'), JSON.stringify({ v: 1, msgId }), { qos: 1 });
    });
    await sub.subscribeAsync('edgefleet/bench-raw/+/telemetry', { qos: 1 });
    const t0 = nowMs();
    await publishAll(clients, payloads.length, (i) => payloads[i]!, (i) => `edgefleet/bench-raw/sim-${i % 5000}/telemetry`);
    await rawAcks;
    const rawSeconds = (nowMs() - t0) / 1000;
    console.error(`raw broker: ${o.messages} messages in ${rawSeconds.toFixed(2)} s`);

    // (b) the control plane: counted when committed.
    // Counted when committed: the ingest's own counter moves after each insert's transaction (no polling query
    // competing with the inserts for the database).
    const repo = cp.app.get(TelemetryRepository);
    const ingestService = cp.app.get(TelemetryIngest);
    const before = await repo.countWindows();
    const storedAcks = allAcked();
    let ackedAll = false;
    void storedAcks.then(() => (ackedAll = true));
    const t1 = nowMs();
    await publishAll(clients, payloads.length, (i) => payloads[i]!, (i) => topics.telemetry(`sim-${i % 5000}`));
    while (ingestService.counters.windowsStored < o.messages * o.windows || !ackedAll) {
      await sleep(5);
      if (ingestService.counters.flushFailures > 0) throw new Error(`a telemetry insert failed (see the log); ${ingestService.counters.windowsStored} of ${o.messages * o.windows} windows stored`);
      if (nowMs() - t1 > 600_000) throw new Error(`only ${ingestService.counters.windowsStored} of ${o.messages * o.windows} windows stored, ${acks} of ${o.messages} messages acked after 10 min`);
    }
    const storedSeconds = (nowMs() - t1) / 1000;
    const inDb = (await repo.countWindows()) - before;
    if (inDb !== o.messages * o.windows) throw new Error(`the database holds ${inDb} new windows, ${o.messages * o.windows} were sent`);
    console.error(`stored: ${o.messages} messages in ${storedSeconds.toFixed(2)} s`);
    return {
      messages: o.messages, windowsPerMessage: o.windows, payloadBytes: Math.round(bytes), clients: o.clients,
      brokerMsgPerSec: Math.round(o.messages / rawSeconds), storedMsgPerSec: Math.round(o.messages / storedSeconds),
      storedWindowsPerSec: Math.round((o.messages * o.windows) / storedSeconds), ratio: Math.round((rawSeconds / storedSeconds) * 1000) / 1000,
      duplicatesSkipped: ingestService.counters.windowsDuplicate,
    };
  } finally {
    await Promise.all([...clients, sub, acker].map((c) => c.endAsync()));
  }
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 1000) / 1000;
};

async function serving(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  const path = join(dir, 'm.onnx');
  writeFileSync(path, tinyClassifier(64, 10));
  const models = new ModelServer();
  await models.activate({ sha256: 'cd'.repeat(32) }, path);
  const http = new InferHttpServer(models, silentLogger);
  const address = await http.listen({ host: '127.0.0.1', port: 0 });
  const [host, port] = address.split(':');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const input = Array.from({ length: 64 }, (_, i) => (i % 7) / 7);
  const body = JSON.stringify({ input });
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const tensor = new ort.Tensor('float32', Float32Array.from(input), [1, 64]);
  const post = () => new Promise<void>((resolve, reject) => {
    const req = request({ host, port: Number(port), path: '/v1/infer', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  const httpMs: number[] = [];
  const directMs: number[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      await post();
      await session.run({ x: tensor });
    }
    for (let block = 0; block < n / 100; block++) {
      for (let i = 0; i < 100; i++) {
        const t = nowMs();
        await post();
        httpMs.push(nowMs() - t);
      }
      for (let i = 0; i < 100; i++) {
        const t = nowMs();
        await session.run({ x: tensor });
        directMs.push(nowMs() - t);
      }
    }
  } finally {
    agent.destroy();
    await http.close();
    await models.close();
    await session.release();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    inferences: httpMs.length, model: 'tiny classifier 64 → 10 (MatMul + Softmax)',
    httpP50Ms: pct(httpMs, 0.5), httpP99Ms: pct(httpMs, 0.99), directP50Ms: pct(directMs, 0.5), directP99Ms: pct(directMs, 0.99),
    p50Ratio: Math.round((pct(httpMs, 0.5) / pct(directMs, 0.5)) * 100) / 100, p99Ratio: Math.round((pct(httpMs, 0.99) / pct(directMs, 0.99)) * 100) / 100,
  };
}

async function soak(cp: ControlPlane, devices: number, minutes: number, json: boolean): Promise<void> {
  const prng = new Prng(11);
  const model = 'ef'.repeat(32);
  const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => mqtt.connectAsync(cp.mqttUrl, { clientId: `bench-soak-${i}`, reconnectPeriod: 0 })));
  const ingestService = cp.app.get(TelemetryIngest);
  const end = Date.now() + minutes * 60_000;
  const samples: Array<{ atS: number; lagS: number; pending: number; rssMb: number; heapMb: number; published: number; stored: number; publishedPerS: number; load1: number }> = [];
  const start = Date.now();
  let nextSample = start + 10_000;
  let published = 0;
  let last = { at: start, published: 0 };
  try {
    while (Date.now() < end) {
      const second = Date.now();
      // Each window is made (its end stamped) right before it is sent, so the lag is the ingest's, not the publisher's.
      await publishAll(clients, devices, () => JSON.stringify(simulatedTelemetryMessage(prng, 1, { model, classes: 10, inferences: 20, lengthMs: 1000 })), (i) => topics.telemetry(`soak-${i}`));
      published += devices;
      if (Date.now() >= nextSample) {
        nextSample += 10_000;
        // The achieved rate is printed too: when the publisher (same process, same cores) cannot send `devices`
        // messages a second, the soak measures the ingest at the rate it reached.
        const now = Date.now();
        const s = {
          atS: Math.round((now - start) / 1000), lagS: ingestService.counters.lastLagSeconds, pending: ingestService.pending,
          rssMb: Math.round(process.memoryUsage.rss() / 1e6), heapMb: Math.round(process.memoryUsage().heapUsed / 1e6), published,
          stored: ingestService.counters.windowsStored, publishedPerS: Math.round(((published - last.published) * 1000) / (now - last.at)), load1: Math.round(loadavg()[0]! * 10) / 10,
        };
        last = { at: now, published };
        samples.push(s);
        if (!json) console.log(`t=${s.atS}s lag=${s.lagS.toFixed(2)}s pending=${s.pending} rss=${s.rssMb}MB heap=${s.heapMb}MB published=${s.published} (${s.publishedPerS}/s) stored=${s.stored} load1=${s.load1}`);
      }
      await sleep(Math.max(0, 1000 - (Date.now() - second)));
    }
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
  }
  if (json) console.log(JSON.stringify({ soak: { devices, minutes, samples } }));
}

export async function run(cl: CommandLine): Promise<void> {
  const db = cl.oneOf('db', ['postgres', 'pglite'] as const) ?? 'postgres';
  const o = {
    messages: cl.number('messages', { integer: true, min: 1 }) ?? 4000,
    windows: cl.number('windows', { integer: true, min: 1, max: 64 }) ?? 8,
    clients: cl.number('clients', { integer: true, min: 1 }) ?? 20,
  };
  const infer = cl.number('infer', { integer: true, min: 100 }) ?? 2000;
  const isSoak = cl.flag('soak');
  const soakDevices = cl.number('soak-devices', { integer: true, min: 1 }) ?? 5000;
  const soakMinutes = cl.number('soak-minutes', { min: 0.1 }) ?? 10;
  const json = cl.flag('json');
  cl.done();

  const dataDir = mkdtempSync(join(tmpdir(), 'bench-telemetry-'));
  let pg: TempPostgresDatabase | undefined;
  let cp: ControlPlane | undefined;
  try {
    if (db === 'postgres') pg = await createTempPostgresDatabase();
    // Lab mode: the simulated devices publish without enrollment (the closed fleet is tested elsewhere; here the ingest path is measured).
    cp = await startControlPlane({ DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', MQTT_ALLOW_ANONYMOUS: 'true', ...(pg && { DATABASE_URL: pg.url }) });
    if (isSoak) return await soak(cp, soakDevices, soakMinutes, json);
    console.error('control plane up; measuring ingest');
    const ing = await ingest(cp, o);
    const srv = await serving(infer);
    if (json) {
      console.log(JSON.stringify({ db, ingest: ing, serving: srv }));
      return;
    }
    console.log(`telemetry ingest (${db}, embedded broker, ${ing.messages} messages × ${ing.windowsPerMessage} windows, ${ing.payloadBytes} B each, ${ing.clients} clients)`);
    console.log('| side | messages/s | windows/s |');
    console.log('|---|---|---|');
    console.log(`| raw broker → bare subscriber | ${ing.brokerMsgPerSec} | ${ing.brokerMsgPerSec * ing.windowsPerMessage} |`);
    console.log(`| stored in ${db} | ${ing.storedMsgPerSec} | ${ing.storedWindowsPerSec} |`);
    console.log(`| ratio stored / broker (goal ≥ 0.5) | ${ing.ratio} | |`);
    console.log('');
    console.log(`agent serving overhead (${srv.model}, ${srv.inferences} sequential inferences per side)`);
    console.log('| path | p50 ms | p99 ms |');
    console.log('|---|---|---|');
    console.log(`| POST /v1/infer (loopback HTTP, JSON) | ${srv.httpP50Ms} | ${srv.httpP99Ms} |`);
    console.log(`| session.run in process | ${srv.directP50Ms} | ${srv.directP99Ms} |`);
    console.log(`| ratio | ${srv.p50Ratio} | ${srv.p99Ratio} |`);
  } finally {
    await cp?.close();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
