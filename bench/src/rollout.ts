/**
 * `npm run bench -- rollout [--devices 1000 | 500,1000,2000] [--setup both|embedded|postgres] [--classes …] [--model-kb 256] [--cpu-prof <dir>] [--json]`
 *
 * One rollout (POST /rollouts over a segment of the fleet: one wave of 100 %, no rate limit) to N simulated devices (the
 * fleet simulator: each the real agent with its own MQTT login), timed from the rollout's creation until it is
 * `completed` (every device active), on
 *   - the embedded defaults: PGlite + the embedded Aedes, and
 *   - PostgreSQL (a database of its own on DATABASE_URL / 127.0.0.1:5432; run under the suite lock) + a Mosquitto
 *     the bench starts on a free port with the product's closed configuration (broker:mosquitto-config, dynsec).
 * The control plane runs as its own process (`node apps/control-plane/dist/main.js`), so its CPU time and peak RSS
 * are its own (from /proc); `--cpu-prof <dir>` runs it under `node --cpu-prof`.
 *
 * In the same run, the raw broker: the same message pattern with no control plane — a scripted responder (one MQTT
 * client) publishes each device a desired state of the same size, answers its block request with the model's
 * blocks, acknowledges each progress and report on the device's ack topic (as the control plane does after its
 * commit), and counts the reports; N plain MQTT clients play the devices (desired → progress + block request →
 * blocks, a progress per block → verifying, benchmarking → report), on Mosquitto logged in as the enrolled devices
 * and the control plane's service account, on the embedded defaults a bare Aedes in a process of its own.
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { PROTOCOL_VERSION, parseDeviceTopic, topics } from '@edgefleet/contracts';
import { GraphBuilder } from '@edgefleet/onnx';
import { HttpClient, type CommandLine, type CommandSpec } from '@edgefleet/toolkit';
import { createTempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { parseClasses, scaleClasses, startFleet, type ClassShare, type Fleet } from '@edgefleet/device-agent';
import { freePort, startOwnMosquitto, type OwnMosquitto } from '@edgefleet/control-plane/dist/mqtt/testing/own-mosquitto';

const CP_MAIN = resolve(__dirname, '../../apps/control-plane/dist/main.js');
export const ADMIN_KEY = `bench-rollout-admin-${randomBytes(8).toString('hex')}`;

type Setup = 'embedded' | 'postgres';

interface Options {
  devices: number[];
  setups: Setup[];
  classes: ClassShare[];
  modelKb: number;
  cpuProf?: string;
  timeoutS: number;
  json: boolean;
}

export interface RolloutRow {
  setup: string;
  devices: number;
  /** Fleet start-up (enrollment, login, hello of every device), before the timed window, and the control plane's CPU in it. */
  startSeconds: number;
  startCpuSeconds: number;
  /** POST /segments + POST /rollouts → the rollout completed (every device active). */
  seconds: number;
  devicesPerSec: number;
  /** Control plane CPU seconds during that window, and as a share of one core. */
  cpuSeconds: number;
  cpuCores: number;
  /** The rollout driver's steps in the window (/metrics `edgefleet_rollout_step_seconds`): how many, and their wall time in all. */
  driverSteps: number;
  driverSeconds: number;
  /** CPU seconds of this process (the simulated fleet: every agent's MQTT, checks, files) during the window. */
  fleetCpuSeconds: number;
  /** Largest control plane RSS sampled during the window, MB. */
  peakRssMb: number;
  rawSeconds: number;
  rawDevicesPerSec: number;
  /** devicesPerSec / rawDevicesPerSec (goal ≥ 0.5). */
  ratio: number;
  /** 1-minute load average when the row finished. */
  load: number;
}

export const command: CommandSpec = {
  name: 'bench rollout',
  invocation: 'npm run bench -- rollout',
  summary: 'One rollout (one wave, no rate limit) to N simulated devices: time until all are active, devices/s, control-plane CPU and memory, vs the raw broker with the same message pattern.',
  options: {
    devices: { type: 'string', arg: '<n[,n…]>', help: 'fleet sizes, one row each (default 1000)' },
    setup: { type: 'string', arg: 'both|embedded|postgres', help: '(default both)' },
    classes: { type: 'string', arg: '<preset:n,…>', help: 'class shares of the fleet (default gateway:600,rpi4:300,tight:100)' },
    'model-kb': { type: 'string', arg: '<KiB>', help: 'model size (default 256: 4 blocks of 64 KiB)' },
    'cpu-prof': { type: 'string', arg: '<dir>', help: 'run the control plane under node --cpu-prof, profiles into <dir>' },
    'timeout-s': { type: 'string', arg: '<s>', help: 'give up on a row after this long (default 600)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
  notes: ['The PostgreSQL setup uses the machine\'s PostgreSQL: run it under the suite lock (flock /tmp/ef-suite.lock npm run bench -- rollout).'],
};

export async function run(cl: CommandLine): Promise<void> {
  const opts = readOptions(cl);
  const rows: RolloutRow[] = [];
  for (const setup of opts.setups) {
    for (const n of opts.devices) {
      const row = await measure(setup, n, opts);
      rows.push(row);
      // Each row as soon as it is measured, also under --json: a later row that fails does not lose it.
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
  if (opts.json) {
    console.log(JSON.stringify({ bench: 'rollout', modelKb: opts.modelKb, classes: opts.classes, rows }, null, 2));
    return;
  }
  console.log(`one rollout (one wave of 100 %, no rate limit) to N simulated devices, model ${opts.modelKb} KiB; raw = the same message pattern through the bare broker`);
  console.log(pad('setup', 28) + pad('devices', 9) + pad('start s', 9) + pad('start CP CPU s', 16) + pad('seconds', 9) + pad('dev/s', 8) + pad('CP CPU s', 10) + pad('CP cores', 10) + pad('driver s', 10) + pad('fleet CPU s', 13) + pad('CP peak MB', 12)
    + pad('raw s', 8) + pad('raw dev/s', 11) + pad('ratio', 7) + 'load');
  for (const r of rows) {
    console.log(pad(r.setup, 28) + pad(String(r.devices), 9) + pad(r.startSeconds.toFixed(0), 9) + pad(r.startCpuSeconds.toFixed(1), 16) + pad(r.seconds.toFixed(1), 9) + pad(r.devicesPerSec.toFixed(1), 8) + pad(r.cpuSeconds.toFixed(1), 10)
      + pad(r.cpuCores.toFixed(2), 10) + pad(`${r.driverSeconds.toFixed(1)}/${r.driverSteps}`, 10) + pad(r.fleetCpuSeconds.toFixed(1), 13) + pad(r.peakRssMb.toFixed(0), 12) + pad(r.rawSeconds.toFixed(1), 8) + pad(r.rawDevicesPerSec.toFixed(1), 11) + pad(r.ratio.toFixed(2), 7) + r.load.toFixed(1));
  }
}

/**
 * The one place the bench starts the rollout (time starts just before it): a segment of the fleet's tag, then
 * POST /rollouts with one wave (100 %), no rate limit, no gates and no success criteria — every device notified at
 * once, the rollout completed when every one of them has finished. The segment is made here too: it is part of
 * what an operator does to roll out.
 */
export async function createRollout(api: HttpClient, artifactId: string, tag: string): Promise<string> {
  const seg = await api.ok('POST', '/segments', { name: tag, selector: { tags: [tag] } });
  const r = await api.ok('POST', '/rollouts', { name: tag, what: { artifactId }, segmentId: seg.id, waves: [{ percent: 100 }] });
  return r.id as string;
}

const STOPPED = ['paused', 'rolling_back', 'rolled_back', 'cancelled'];

/**
 * Polls until the rollout is `completed`. Reads the rollout list (the rollout rows alone; this control plane has only
 * the bench's), not the detail with every device and report, so the poll costs the control plane little while it
 * works. `progress` says what the fleet has reported, for the error on a timeout.
 */
export async function waitCompleted(api: HttpClient, id: string, timeoutMs: number, progress: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await api.ok('GET', '/rollouts?limit=20');
    const r = (page.items as Array<{ id: string; state: string; reason: string | null }>).find((x) => x.id === id);
    if (r?.state === 'completed') return;
    if (r && STOPPED.includes(r.state)) throw new Error(`rollout ${id} ${r.state}: ${r.reason ?? ''}`);
    if (Date.now() > deadline) throw new Error(`rollout ${id}: still ${r?.state} after ${timeoutMs} ms (${progress()})`);
    await sleep(250);
  }
}

/** After the timed window: the rollout's one read of every device — each must be active (the rollout's own counts). */
export async function assertAllActive(api: HttpClient, id: string, devices: number): Promise<void> {
  const d = await api.ok('GET', `/rollouts/${id}`);
  const counts = (d.waves as Array<{ counts: Record<string, number> }>).reduce<Record<string, number>>((acc, w) => {
    for (const [k, v] of Object.entries(w.counts)) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  }, {});
  if ((counts['active'] ?? 0) !== devices) throw new Error(`rollout ${id} completed with ${JSON.stringify(counts)}, not ${devices} active`);
}

/**
 * Polls until every row of a plain deployment is active. Reads the deployment list's per-state counts (one grouped
 * query), not the detail with every row and report.
 */
export async function waitAllActive(api: HttpClient, id: string, devices: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await api.ok('GET', '/deployments?limit=20');
    const d = (page.items as Array<{ id: string; status: string; counts: Record<string, number> }>).find((x) => x.id === id);
    const active = d?.counts['active'] ?? 0;
    if (active === devices) return;
    if (Date.now() > deadline) throw new Error(`deployment ${id}: ${active} of ${devices} active after ${timeoutMs} ms (status ${d?.status})`);
    await sleep(250);
  }
}

async function measure(setup: Setup, n: number, opts: Options): Promise<RolloutRow> {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-bench-rollout-'));
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    let env: Record<string, string> = {};
    let mosq: OwnMosquitto | undefined;
    if (setup === 'postgres') {
      const db = await createTempPostgresDatabase();
      cleanups.unshift(() => db.drop());
      mosq = await startOwnMosquitto(dir, [], { DATABASE_URL: db.url });
      cleanups.unshift(() => mosq!.stop());
      env = { DATABASE_URL: db.url, ...mosq.env };
    }
    const cp = await spawnControlPlane(dir, env, opts.cpuProf);
    cleanups.unshift(() => cp.stop());
    const api = new HttpClient(`${cp.httpUrl}/api/v1`, ADMIN_KEY);
    const tag = `bench-${randomBytes(3).toString('hex')}`;
    const token = (await api.ok('POST', '/enrollment-tokens', { tags: [tag], maxUses: n })).token as string;
    const model = benchModel(opts.modelKb);
    const form = new FormData();
    form.set('file', new Blob([model]), 'bench.onnx');
    form.set('name', `rollout-${tag}`);
    form.set('version', '1');
    const art = await api.ok('POST', '/models', form);

    const t0Fleet = Date.now();
    const startCpu0 = cpuSeconds(cp.pid);
    const fleet = await startFleet({ brokerUrl: cp.mqttUrl, apiUrl: cp.httpUrl, enrollToken: token, classes: scaleClasses(opts.classes, n), dataDir: join(dir, 'fleet'), idPrefix: tag });
    cleanups.unshift(() => fleet.stop());
    await waitOnline(api, tag, n, opts.timeoutS * 1000);
    const startSeconds = (Date.now() - t0Fleet) / 1000;
    const startCpuSeconds = cpuSeconds(cp.pid) - startCpu0;
    process.stderr.write(`${setup} ${n}: fleet up in ${startSeconds.toFixed(1)} s (control plane CPU ${startCpuSeconds.toFixed(1)} s)\n`);

    const steps0 = await stepMetrics(cp.httpUrl);
    const cpu0 = cpuSeconds(cp.pid);
    const fleetCpu0 = process.cpuUsage();
    let peak = rssMb(cp.pid);
    const sampler = setInterval(() => { peak = Math.max(peak, rssMb(cp.pid)); }, 200);
    const t0 = process.hrtime.bigint();
    let seconds: number;
    let cpu: number;
    let fleetCpuSeconds: number;
    let id: string;
    try {
      id = await createRollout(api, art.id, tag);
      process.stderr.write(`${setup} ${n}: rollout ${id} created\n`);
      await waitCompleted(api, id, opts.timeoutS * 1000, () => `${fleet.devices.filter((d) => d.reports.some((x) => x.outcome === 'activated')).length} of ${n} devices reported activated`);
      seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      cpu = cpuSeconds(cp.pid) - cpu0;
      const fleetCpu = process.cpuUsage(fleetCpu0);
      fleetCpuSeconds = (fleetCpu.user + fleetCpu.system) / 1e6;
    } finally {
      clearInterval(sampler);
    }
    // The window on the monotonic clock V8's profiles use (startTime/endTime, µs): to cut --cpu-prof profiles to it.
    process.stderr.write(`${setup} ${n}: window ${t0 / 1000n}–${t0 / 1000n + BigInt(Math.round(seconds * 1e6))} µs (monotonic)\n`);
    const steps = diff(await stepMetrics(cp.httpUrl), steps0);
    await assertAllActive(api, id, n);
    const logins = mosq ? await Promise.all(fleet.devices.map((d) => fleet.login(d))) : undefined;
    process.stderr.write(`${setup} ${n}: all active in ${seconds.toFixed(1)} s; stopping\n`);
    await fleet.stop();
    await cp.stop();
    process.stderr.write(`${setup} ${n}: raw broker\n`);

    // Raw: the bare broker with the same pattern, N devices, no control plane.
    let rawSeconds: number;
    if (mosq) {
      rawSeconds = await rawRollout(mosq.url, n, model, { username: mosq.env['MQTT_USERNAME']!, password: mosq.env['MQTT_PASSWORD']! },
        fleet.devices.map((d, i) => ({ id: d.deviceId, login: logins![i] })), opts.timeoutS * 1000);
    } else {
      const broker = await spawnRawAedes();
      cleanups.unshift(() => broker.stop());
      rawSeconds = await rawRollout(broker.url, n, model, undefined, fleet.devices.map((d) => ({ id: d.deviceId })), opts.timeoutS * 1000);
    }
    const devicesPerSec = n / seconds;
    const rawDevicesPerSec = n / rawSeconds;
    return {
      setup: setup === 'embedded' ? 'PGlite + embedded Aedes' : 'PostgreSQL + Mosquitto', devices: n, startSeconds, startCpuSeconds, seconds, devicesPerSec,
      cpuSeconds: cpu, cpuCores: cpu / seconds, driverSteps: steps.count, driverSeconds: steps.sum, fleetCpuSeconds, peakRssMb: peak, rawSeconds, rawDevicesPerSec, ratio: devicesPerSec / rawDevicesPerSec, load: loadavg()[0]!,
    };
  } finally {
    for (const c of cleanups) await c().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A dense model of about `kb` KiB: y = x · W, W [64, kb·4] float32 (another `seed`: other bytes, the same size). */
export function benchModel(kb: number, seed = 0): Uint8Array {
  const cols = Math.max(1, Math.round((kb * 1024) / (64 * 4)));
  const g = new GraphBuilder('rollout');
  const x = g.input('input', 'float32', ['batch', 64]);
  const w = new Float32Array(64 * cols);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 2654435761 + seed) % 1000) / 1000 - 0.5;
  const wName = g.initializer('w', w, [64, cols]);
  g.output(g.op('MatMul', [x, wName]), 'float32', ['batch', cols], 'y');
  return g.toModel();
}

export interface SpawnedControlPlane {
  pid: number;
  httpUrl: string;
  mqttUrl: string;
  stop(): Promise<void>;
}

export async function spawnControlPlane(dir: string, env: Record<string, string>, cpuProf: string | undefined): Promise<SpawnedControlPlane> {
  const port = await freePort();
  const mqttPort = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProf)] : []), CP_MAIN], {
    env: {
      PATH: process.env['PATH'], DATA_DIR: join(dir, 'cp'), PORT: String(port), MQTT_PORT: String(mqttPort), ADMIN_API_KEY: ADMIN_KEY,
      RATE_LIMIT_MAX: '0', LOG_LEVEL: 'warn', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-20_000); });
  child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-20_000); });
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`control plane exited unexpectedly (${signal ?? code}); its last output:\n${log.slice(-5000)}\n`);
  });
  const httpUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`control plane exited (${child.exitCode}):\n${log}`);
    // /health answers 200 only once start-up is complete (the admin key stored).
    const ok = await fetch(`${httpUrl}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`control plane did not start:\n${log}`);
    await sleep(250);
  }
  return {
    pid: child.pid!,
    httpUrl,
    mqttUrl: env['MQTT_URL'] ?? `mqtt://127.0.0.1:${mqttPort}`,
    stop: () => new Promise<void>((res) => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return res();
      // Longer under --cpu-prof: the profile is written at exit, and a SIGKILL loses it (a loaded machine is slow to close).
      const force = setTimeout(() => child.kill('SIGKILL'), cpuProf ? 180_000 : 30_000);
      child.once('exit', () => { clearTimeout(force); res(); });
      child.kill('SIGTERM');
    }),
  };
}

async function spawnRawAedes(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = fork(join(__dirname, 'raw-broker-process.js'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise<number>((res, rej) => {
    child.stdout!.once('data', (d: Buffer) => res(Number(d.toString().trim())));
    child.once('exit', (code) => rej(new Error(`raw Aedes exited (${code})`)));
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: () => new Promise<void>((res) => {
      if (child.exitCode !== null) return res();
      child.once('exit', () => res());
      child.kill('SIGTERM');
    }),
  };
}

/**
 * The raw side: a responder plays the control plane, N plain clients play the devices, the message pattern is the
 * agent's (see the header). Returns the seconds from the first desired state published to the last report received.
 */
async function rawRollout(url: string, n: number, model: Uint8Array, service: { username: string; password: string } | undefined,
  devices: Array<{ id: string; login?: { username: string; password: string } }>, timeoutMs: number): Promise<number> {
  const blockSize = 64 * 1024;
  const total = Math.ceil(model.length / blockSize);
  const sha = randomBytes(32).toString('hex');
  const responder = await mqtt.connectAsync(url, { clientId: `ef-svc-raw-${randomBytes(4).toString('hex')}`, ...service, reconnectPeriod: 0 });
  const clients: MqttClient[] = [];
  try {
    for (let i = 0; i < devices.length; i += 50) {
      clients.push(...(await Promise.all(devices.slice(i, i + 50).map((d) => mqtt.connectAsync(url, { clientId: d.id, ...d.login, reconnectPeriod: 0, clean: true })))));
    }
    let reports = 0;
    let requests = 0;
    let allReported!: () => void;
    const done = new Promise<void>((r) => { allReported = r; });
    await responder.subscribeAsync([topics.blockRequest('+'), topics.progress('+'), topics.report('+')], { qos: 1 });
    responder.on('message', (topic, payload) => {
      const where = parseDeviceTopic(topic);
      if (!where) return;
      const deviceId = where.deviceId;
      if (where.kind === 'progress' || where.kind === 'report') {
        // The product acknowledges every progress and report (at-least-once): so does the raw side.
        const { msgId } = JSON.parse(payload.toString()) as { msgId: string };
        responder.publish(topics.ack(deviceId), JSON.stringify({ v: PROTOCOL_VERSION, msgId }), { qos: 1 });
      }
      if (where.kind === 'block-req') {
        requests++;
        const req = JSON.parse(payload.toString()) as { index: number; count: number };
        for (let b = req.index; b < req.index + req.count; b++) {
          responder.publish(topics.block(deviceId, sha, b), Buffer.from(model.subarray(b * blockSize, (b + 1) * blockSize)), { qos: 1 });
        }
      } else if (where.kind === 'report' && ++reports === n) allReported();
    });
    await Promise.all(clients.map(async (c, i) => {
      const id = devices[i]!.id;
      let got = 0;
      let seq = 0;
      const progress = (state: string) => c.publish(topics.progress(id), JSON.stringify({ v: PROTOCOL_VERSION, msgId: `${id}-${seq++}`, deploymentId: 'raw', sha256: sha, state, receivedBlocks: got, totalBlocks: total }), { qos: 1 });
      c.on('message', (topic) => {
        if (topic === topics.ack(id)) return;
        if (topic === topics.desired(id)) {
          progress('downloading');
          c.publish(topics.blockRequest(id), JSON.stringify({ v: PROTOCOL_VERSION, sha256: sha, index: 0, count: total }), { qos: 1 });
          return;
        }
        got++;
        progress('downloading');
        if (got < total) return;
        progress('verifying');
        progress('benchmarking');
        c.publish(topics.report(id), JSON.stringify({ v: PROTOCOL_VERSION, msgId: `${id}-${seq++}`, deploymentId: 'raw', artifactSha256: sha, outcome: 'activated', runs: 30, padding: 'x'.repeat(600) }), { qos: 1 });
      });
      await c.subscribeAsync([topics.desired(id), topics.blockWildcard(id), topics.ack(id)], { qos: 1 });
    }));
    // A desired state is ~1 KB of signed JSON.
    const desired = JSON.stringify({ v: PROTOCOL_VERSION, padding: 'x'.repeat(1000) });
    const t0 = process.hrtime.bigint();
    for (const d of devices) responder.publish(topics.desired(d.id), desired, { qos: 1 });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`raw broker: ${reports} of ${n} reports after ${timeoutMs} ms (${requests} block requests seen)`)), timeoutMs); })])
      .finally(() => clearTimeout(timer));
    return Number(process.hrtime.bigint() - t0) / 1e9;
  } finally {
    await Promise.all([responder, ...clients].map((c) => c.endAsync().catch(() => undefined)));
  }
}

export async function waitOnline(api: HttpClient, tag: string, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await api.ok('GET', `/devices?tag=${tag}&status=online&limit=1`);
    if (page.total === n) return;
    if (Date.now() > deadline) throw new Error(`${page.total} of ${n} devices online after ${timeoutMs} ms`);
    await sleep(500);
  }
}

/** The driver's step histogram, summed over the rollout states, from the control plane's /metrics. */
export async function stepMetrics(httpUrl: string): Promise<{ sum: number; count: number }> {
  const res = await fetch(`${httpUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  if (!res.ok) throw new Error(`/metrics → ${res.status}`);
  const text = await res.text();
  const total = (suffix: string) => [...text.matchAll(new RegExp(`^edgefleet_rollout_step_seconds_${suffix}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
  return { sum: total('sum'), count: total('count') };
}


export const diff = (a: { sum: number; count: number }, b: { sum: number; count: number }) => ({ sum: a.sum - b.sum, count: a.count - b.count });

/** utime + stime of a process, seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function readOptions(cl: CommandLine): Options {
  const setup = cl.oneOf('setup', ['both', 'embedded', 'postgres'] as const) ?? 'both';
  const classes = parseClasses(cl.string('classes') ?? 'gateway:600,rpi4:300,tight:100');
  for (const p of classes.problems) cl.check(false, `--classes: ${p}`);
  const devices = cl.list('devices', (s) => (/^\d{1,6}$/.test(s) && Number(s) > 0 ? Number(s) : undefined), 'positive integers, comma-separated') ?? [1000];
  const opts: Options = {
    devices,
    setups: setup === 'both' ? ['embedded', 'postgres'] : [setup],
    classes: classes.classes,
    modelKb: cl.number('model-kb', { integer: true, min: 1, max: 65536 }) ?? 256,
    cpuProf: cl.string('cpu-prof'),
    timeoutS: cl.number('timeout-s', { above: 0 }) ?? 600,
    json: cl.flag('json'),
  };
  cl.done();
  return opts;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const pad = (s: string, n: number) => s.padEnd(n);
// The fleet type is only used through startFleet's result.
export type { Fleet };
