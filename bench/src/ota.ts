/**
 * `npm run bench -- ota [--size-mb 4] [--devices 50] [--repeat 3] [--window 16] [--max-window 64] [--batch <n>] [--broker both|embedded|external] [--mqtt-url URL] [--json]`
 *
 * Model delivery over MQTT through the control plane's real OTA path (Nest MQTT transport → BlockServer →
 * artifact store on disk → MQTT publisher → broker) to 1 device and to N concurrent simulated devices, beside
 * the raw throughput of the same bytes through the same broker with a plain MQTT.js publisher/subscriber
 * measured in the same run. Both on the embedded Aedes and on the external broker (Mosquitto).
 *
 * The simulated devices speak the block protocol (block-req → block/<sha>/<i>) with the agent's sliding window
 * (AdaptiveWindow: starts at --window, grows up to --max-window while throughput grows) and verify the sha256 of what they assembled, like the agent does; they skip disk writes and onnxruntime.
 * The control plane is started with recording device/deployment services (the block path never touches the
 * database), see apps/control-plane/src/mqtt/testing/mqtt-test-app.ts.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { PROTOCOL_VERSION, topics, type BlockRequestMessage } from '@edgefleet/contracts';
import type { CommandLine, CommandSpec } from '@edgefleet/toolkit';
import { startMqttTestApp } from '@edgefleet/control-plane/dist/mqtt/testing/mqtt-test-app';
import { AdaptiveWindow, DEFAULT_TRANSFER, refillRun } from '@edgefleet/device-agent';

const STALL_MS = 10_000;

interface Options {
  sizeBytes: number;
  devices: number;
  brokers: Array<'embedded' | 'external'>;
  mqttUrl: string;
  json: boolean;
  /**
   * Blocks a simulated device keeps requested but not received, and how many free slots make it ask again.
   * Defaults follow the device agent (device-agent/src/config/agent-options.ts: window 16 adapting up to 64, refill in runs of a quarter window).
   */
  window: number;
  maxWindow: number;
  /** Undefined: the agent's rule (refillRun). */
  batch?: number;
  repeat: number;
}

interface Row {
  broker: string;
  devices: number;
  modelBytes: number;
  otaMBps: number;
  rawMBps: number;
  ratio: number;
  otaSeconds: number;
  rawSeconds: number;
}

export const command: CommandSpec = {
  name: 'bench ota',
  invocation: 'npm run bench -- ota',
  summary: "Model delivery over MQTT through the control plane's OTA path vs the raw throughput of the same bytes through the same broker.",
  options: {
    'size-mb': { type: 'string', arg: '<MB>', help: 'model size (default 4)' },
    devices: { type: 'string', arg: '<n>', help: 'concurrent simulated devices besides the single one (default 50)' },
    repeat: { type: 'string', arg: '<n>', help: 'timed rounds per side (default 3)' },
    window: { type: 'string', arg: '<n>', help: 'blocks a device keeps requested at first, ≤ 64 (default 16, as the agent)' },
    'max-window': { type: 'string', arg: '<n>', help: 'the window adapts up to this, ≤ 128 (default 64, as the agent; = --window: fixed)' },
    batch: { type: 'string', arg: '<n>', help: 'free slots that make a device ask again (default a quarter of the window, as the agent)' },
    broker: { type: 'string', arg: 'both|embedded|external', help: '(default both)' },
    'mqtt-url': { type: 'string', arg: '<url>', help: 'the external broker (default mqtt://127.0.0.1:1883)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
};

export async function run(cl: CommandLine): Promise<void> {
  const opts = readOptions(cl);
  const model = randomBytes(opts.sizeBytes);
  const rows: Row[] = [];
  for (const which of opts.brokers) {
    const cp = await startMqttTestApp(which === 'external' ? { mqttUrl: opts.mqttUrl } : {});
    try {
      const { sha256 } = await cp.store.put(model);
      const blockSize = cp.config.blockSize;
      const name = which === 'embedded' ? 'embedded Aedes' : `external ${opts.mqttUrl}`;
      for (const devices of [...new Set([1, opts.devices])]) {
        const otaOnce = () => otaDelivery(cp.url, sha256, model.length, blockSize, devices, opts);
        const rawOnce = () => rawDelivery(cp.url, model, blockSize, devices, opts.window);
        // One untimed round each warms the JIT and the broker; then alternate, so drift on this shared
        // machine hits both sides alike, and keep the median.
        await otaOnce();
        await rawOnce();
        const otaTimes: number[] = [];
        const rawTimes: number[] = [];
        for (let i = 0; i < opts.repeat; i++) {
          otaTimes.push(await otaOnce());
          rawTimes.push(await rawOnce());
        }
        const ota = median(otaTimes);
        const raw = median(rawTimes);
        const bytes = model.length * devices;
        const otaMBps = bytes / 1e6 / ota;
        const rawMBps = bytes / 1e6 / raw;
        rows.push({ broker: name, devices, modelBytes: model.length, otaMBps, rawMBps, ratio: otaMBps / rawMBps, otaSeconds: ota, rawSeconds: raw });
      }
    } finally {
      await cp.close();
    }
  }
  if (opts.json) {
    console.log(JSON.stringify({ bench: 'ota', modelBytes: opts.sizeBytes, window: opts.window, maxWindow: opts.maxWindow, batch: opts.batch, rows }, null, 2));
    return;
  }
  console.log(`OTA model delivery over MQTT, model ${(opts.sizeBytes / 1048576).toFixed(1)} MiB, MB = 10^6 bytes, aggregate over devices, median of ${opts.repeat}`);
  console.log(pad('broker', 34) + pad('devices', 9) + pad('OTA MB/s', 10) + pad('raw MB/s', 10) + 'OTA / raw (goal ≥ 0.5)');
  for (const r of rows) {
    console.log(pad(r.broker, 34) + pad(String(r.devices), 9) + pad(r.otaMBps.toFixed(1), 10) + pad(r.rawMBps.toFixed(1), 10) + r.ratio.toFixed(2));
  }
}

/**
 * N simulated devices fetch the whole object at once. Returns the seconds from the first block request to the
 * last block received (connecting and subscribing happen before, verifying after, as in rawDelivery).
 */
async function otaDelivery(url: string, sha256: string, size: number, blockSize: number, devices: number, opts: Options): Promise<number> {
  const clients = await Promise.all(Array.from({ length: devices }, () => connect(url)));
  try {
    const downloads = await Promise.all(clients.map((c) => simulatedDevice(c, `bench-${randomUUID().slice(0, 8)}`, sha256, size, blockSize, opts)));
    const seconds = await timeIt(() => Promise.all(downloads.map((d) => d.download())).then(() => undefined));
    for (const d of downloads) d.verify();
    return seconds;
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
  }
}

/** A device that is connected and subscribed; download() fetches every block, verify() checks the sha256. */
async function simulatedDevice(client: MqttClient, deviceId: string, sha256: string, size: number, blockSize: number, opts: Options): Promise<{ download(): Promise<void>; verify(): void }> {
  const total = Math.ceil(size / blockSize);
  // The blocks as they arrived, assembled and hashed by verify() after the timed window: the raw side's subscribers
  // keep nothing either (copying each block into one buffer here was ~40 % of a 32 MiB round's time).
  const blocks: Buffer[] = new Array<Buffer>(total);
  const have = new Uint8Array(total);
  let received = 0;
  let next = 0;
  const prefix = `${topics.blockWildcard(deviceId).slice(0, -1)}${sha256}/`;
  let lastRejection = '';
  let progressAt = Date.now();
  const win = new AdaptiveWindow({ initial: opts.window, min: Math.min(4, opts.window), max: opts.maxWindow });
  const done = new Promise<void>((resolve, reject) => {
    const stall = setInterval(() => {
      if (Date.now() - progressAt < STALL_MS) return;
      clearInterval(stall);
      reject(new Error(`${deviceId}: no block for ${STALL_MS} ms (${received}/${total}); last rejection: ${lastRejection || 'none'}`));
    }, 1000);
    client.on('message', (topic, payload) => {
      // Another control plane on the same external broker (with its own artifact store) may refuse our request
      // too; only the stall timer below turns missing blocks into a failure.
      if (topic === topics.rejected(deviceId)) return void (lastRejection = payload.toString());
      if (!topic.startsWith(prefix)) return;
      const index = Number(topic.slice(prefix.length));
      if (have[index]) return;
      have[index] = 1;
      blocks[index] = payload;
      received++;
      win.delivered();
      progressAt = Date.now();
      if (received === total) {
        clearInterval(stall);
        return resolve();
      }
      if (win.size - (next - received) >= (opts.batch ?? refillRun(win.size))) request();
    });
  });
  // Like the agent's fetcher: keep the window's blocks requested, asking for the free slots as one run.
  const request = () => {
    if (next >= total) return;
    const free = win.size - (next - received);
    const msg: BlockRequestMessage = { v: PROTOCOL_VERSION, sha256, index: next, count: Math.min(free, 64, total - next) };
    next += msg.count!;
    client.publish(topics.blockRequest(deviceId), JSON.stringify(msg), { qos: 1 });
  };
  await client.subscribeAsync([topics.blockWildcard(deviceId), topics.rejected(deviceId)], { qos: 1 });
  return {
    download: () => {
      request();
      return done;
    },
    verify: () => {
      const hash = createHash('sha256');
      for (const b of blocks) hash.update(b);
      if (blocks.reduce((n, b) => n + b.length, 0) !== size || hash.digest('hex') !== sha256) throw new Error(`${deviceId}: assembled bytes do not match the sha256`);
    },
  };
}

/**
 * The alternative a user would write: one MQTT.js publisher sends the blocks (QoS 1, at most `window` per
 * subscriber unacknowledged, the same in-flight allowance the simulated devices get) to N subscribers.
 */
async function rawDelivery(url: string, model: Buffer, blockSize: number, devices: number, window: number): Promise<number> {
  const total = Math.ceil(model.length / blockSize);
  const run = randomUUID().slice(0, 8);
  const publisher = await connect(url);
  const subscribers = await Promise.all(Array.from({ length: devices }, () => connect(url)));
  try {
    const arrived = subscribers.map((s) => {
      let count = 0;
      return new Promise<void>((resolve) => s.on('message', () => ++count === total && resolve()));
    });
    await Promise.all(subscribers.map((s, d) => s.subscribeAsync(`edgefleet/bench/raw/${run}/${d}/#`, { qos: 1 })));
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: devices }, async (_, d) => {
      const inflight = new Set<Promise<unknown>>();
      for (let i = 0; i < total; i++) {
        if (inflight.size >= window) await Promise.race(inflight);
        const p: Promise<unknown> = publisher
          .publishAsync(`edgefleet/bench/raw/${run}/${d}/${i}`, model.subarray(i * blockSize, (i + 1) * blockSize), { qos: 1 })
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await Promise.all(inflight);
    }));
    await Promise.all(arrived);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  } finally {
    await Promise.all([publisher, ...subscribers].map((c) => c.endAsync()));
  }
}

function connect(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: `bench-${randomUUID().slice(0, 12)}`, reconnectPeriod: 0 }, false);
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function readOptions(cl: CommandLine): Options {
  const positive = { above: 0 };
  const broker = cl.oneOf('broker', ['both', 'embedded', 'external'] as const) ?? 'both';
  const opts: Options = {
    sizeBytes: Math.round((cl.number('size-mb', positive) ?? 4) * 1048576),
    devices: cl.number('devices', { integer: true, min: 1 }) ?? 50,
    brokers: broker === 'both' ? ['embedded', 'external'] : [broker],
    mqttUrl: cl.string('mqtt-url') ?? 'mqtt://127.0.0.1:1883',
    json: cl.flag('json'),
    batch: cl.number('batch', { integer: true, min: 1 }),
    window: cl.number('window', { integer: true, min: 1, max: 64 }) ?? DEFAULT_TRANSFER.window,
    maxWindow: cl.number('max-window', { integer: true, min: 1, max: 128 }) ?? DEFAULT_TRANSFER.maxWindow ?? DEFAULT_TRANSFER.window,
    repeat: cl.number('repeat', { integer: true, min: 1 }) ?? 3,
  };
  cl.done();
  cl.check(opts.maxWindow >= opts.window, '--max-window must be at least --window');
  return { ...opts, maxWindow: Math.max(opts.maxWindow, opts.window) };
}

const pad = (s: string, n: number) => s.padEnd(n);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
