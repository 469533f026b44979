/**
 * `npm run bench -- autopilot [--targets 100] [--classes 20] [--devices 1000] [--reports 5] [--seconds 30] [--json]`
 *
 * What the autopilot costs the rest of the control plane, on the embedded defaults (PGlite, Aedes). The same fleet
 * is built twice in this run — once with the autopilot on, once off — and the REST API is put under the same steady
 * load (GET /health and GET /api/v1/devices, 4 clients) for the same time while, with it on, the autopilot works
 * through every (target, class) pair the new targets create. Printed: p50/p99 of each endpoint on/off and their
 * ratio (goal ≤ 2×), and the reconciles done with their mean time per pair.
 *
 * The fleet: `classes` hardware classes, `devices` devices spread over them, each in one of `targets` segments, six MLP
 * variants of one family uploaded through the API (so MACs are counted as in production), `reports` benchmark
 * reports per device (latency from a per-class line with noise), `targets` targets, one per segment, with
 * budgets from tight to loose. Devices and reports are seeded with createMany (what recordReport stores, without
 * MQTT round trips: the bench is about the reconciler, not ingestion); targets go through the REST API. No agents
 * run, so the deployments the autopilot makes stay in progress (as on a fleet whose devices are installing).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileClassOf, type HardwareProfile } from '@edgefleet/contracts';
import { PrismaClient } from '@edgefleet/db';
import { HttpClient, Prng, type CommandLine, type CommandSpec } from '@edgefleet/toolkit';
import { AutopilotScheduler, startControlPlane, type ControlPlane } from '@edgefleet/control-plane';
import { mlpModel } from '@edgefleet/control-plane/dist/autopilot/testing/mlp-model';

const HIDDEN = [8, 32, 64, 128, 256, 512];
const FEATURES = 64;
const OUTPUTS = 10;
const LOAD_CLIENTS = 4;
const WARM_UP_SECONDS = 5;

interface Options { targets: number; classes: number; devices: number; reports: number; seconds: number; json: boolean }

export const command: CommandSpec = {
  name: 'bench autopilot',
  invocation: 'npm run bench -- autopilot',
  summary: 'What the autopilot costs the REST API: p50/p99 under steady load with the autopilot on vs off, same fleet, same run.',
  options: {
    targets: { type: 'string', arg: '<n>', help: 'targets, one per segment (default 100)' },
    classes: { type: 'string', arg: '<n>', help: 'hardware classes (default 20)' },
    devices: { type: 'string', arg: '<n>', help: 'devices (default 1000)' },
    reports: { type: 'string', arg: '<n>', help: 'benchmark reports per device (default 5)' },
    seconds: { type: 'string', arg: '<n>', help: 'REST load per phase (default 30)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
};

function options(cl: CommandLine): Options {
  const int = (name: string, min: number, dflt: number) => cl.number(name, { integer: true, min }) ?? dflt;
  const o = {
    targets: int('targets', 1, 100), classes: int('classes', 1, 20), devices: int('devices', 1, 1000),
    reports: int('reports', 0, 5), seconds: int('seconds', 1, 30), json: cl.flag('json'),
  };
  cl.done();
  return o;
}

const classProfile = (i: number): HardwareProfile => ({
  name: `class-${i}`, arch: i % 2 ? 'arm64' : 'x64', cores: 1 + (i % 8), clockMhz: 800 + 100 * i, simd: i % 3 ? ['neon'] : [], ramMb: 512 * (1 + (i % 4)),
});

const call = (cp: ControlPlane, method: string, path: string, body?: unknown): Promise<any> =>
  new HttpClient(cp.httpUrl, cp.adminApiKey).ok(method, path, body);

/** Seeds the bench fleet (exported for profiling a reconcile in isolation). */
export async function seedFleet(cp: ControlPlane, o: Options): Promise<void> {
  const prng = new Prng(42);
  const rnd = () => prng.next(); // the same fleet in both runs
  const prisma = cp.app.get(PrismaClient);
  const artifacts: Array<{ id: string; macs: number }> = [];
  for (const [i, hidden] of HIDDEN.entries()) {
    const form = new FormData();
    for (const [k, v] of Object.entries({ name: `bench-mlp-${hidden}`, version: '1', precision: 'fp32', family: 'bench' })) form.set(k, v);
    form.set('file', new Blob([mlpModel(FEATURES, hidden, OUTPUTS)]), 'model.onnx');
    const up = await call(cp, 'POST', '/api/v1/models', form);
    await prisma.modelArtifact.update({ where: { id: up.id }, data: { metrics: { accuracy: 0.7 + 0.04 * i } } });
    artifacts.push({ id: up.id, macs: FEATURES * hidden + hidden * OUTPUTS });
  }
  const profiles = Array.from({ length: o.classes }, (_, i) => classProfile(i));
  const devices = Array.from({ length: o.devices }, (_, i) => {
    const p = profiles[i % o.classes]!;
    // One segment per target (targets do not overlap: two targets fighting over a device is a known limit,
    // docs/autopilot.md), plus a site tag no target selects.
    const tags = [`seg-${Math.floor(rnd() * o.targets)}`, `site-${Math.floor(rnd() * 20)}`];
    return { id: `dev-${i}`, name: `dev-${i}`, tags, profile: { ...p }, profileClass: profileClassOf(p), status: 'online' as const };
  });
  for (let i = 0; i < devices.length; i += 500) await prisma.device.createMany({ data: devices.slice(i, i + 500) });
  const reports = devices.flatMap((d, i) => Array.from({ length: o.reports }, () => {
    const a = artifacts[Math.floor(rnd() * artifacts.length)]!;
    const slow = 1 + (i % o.classes) / 4;
    const p95 = slow * (0.01 + a.macs / 2e6) * (0.9 + 0.2 * rnd());
    return { deviceId: d.id, artifactId: a.id, latencyP50Ms: p95 * 0.8, latencyP95Ms: p95, latencyP99Ms: p95 * 1.1, peakRssMb: 20, accuracy: 0.7, runs: 50, passed: true, details: {} };
  }));
  for (let i = 0; i < reports.length; i += 1000) await prisma.benchmarkReport.createMany({ data: reports.slice(i, i + 1000) });
}

export async function createSegmentTargets(cp: ControlPlane, o: Options): Promise<void> {
  const prng = new Prng(7);
  const rnd = () => prng.next();
  for (let t = 0; t < o.targets; t++) {
    const tags = [`seg-${t}`];
    // From "nothing fits" to "everything fits" on the seeded lines.
    const maxLatencyP95Ms = Number((0.005 * 2 ** (rnd() * 8)).toPrecision(3));
    await call(cp, 'POST', '/api/v1/targets', { name: `t-${t}`, family: 'bench', selector: { tags }, budget: { maxLatencyP95Ms } });
  }
}

interface Latencies { health: number[]; devices: number[] }

async function load(cp: ControlPlane, seconds: number): Promise<Latencies> {
  const out: Latencies = { health: [], devices: [] };
  const until = Date.now() + seconds * 1000;
  const client = async (k: number) => {
    for (let i = k; Date.now() < until; i++) {
      const which = i % 2 === 0 ? 'health' : 'devices';
      const t0 = performance.now();
      if (which === 'health') await call(cp, 'GET', '/health');
      else await call(cp, 'GET', '/api/v1/devices?limit=50');
      out[which].push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: LOAD_CLIENTS }, (_, k) => client(k)));
  return out;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

interface ModeResult {
  autopilot: boolean;
  seedSeconds: number;
  targetSeconds: number;
  rest: Record<keyof Latencies, { n: number; p50Ms: number; p99Ms: number }>;
  reconciles: number;
  reconcileMsPerPair: number;
  pausedMs: number;
  states: Record<string, number>;
  fits?: number;
}

async function measure(o: Options, autopilot: boolean): Promise<ModeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-bench-autopilot-'));
  const cp = await startControlPlane({
    DATA_DIR: dir, PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', ADMIN_API_KEY: 'bench-admin-key-0123456789', EMBEDDED_WORKER: 'false',
    AUTOPILOT_ENABLED: String(autopilot),
    RATE_LIMIT_MAX: '0', // the load generator is one key sending far more than a client would: measure the API, not the limiter
  });
  try {
    let t = performance.now();
    await seedFleet(cp, o);
    const seedSeconds = (performance.now() - t) / 1000;
    await load(cp, WARM_UP_SECONDS); // the REST path warmed up (JIT, caches) before anything is measured, in both runs
    t = performance.now();
    await createSegmentTargets(cp, o);
    const targetSeconds = (performance.now() - t) / 1000;
    const lat = await load(cp, o.seconds);
    const stats = cp.app.get(AutopilotScheduler).stats;
    const prisma = cp.app.get(PrismaClient);
    const states = Object.fromEntries((await prisma.targetClassState.groupBy({ by: ['status'], _count: { _all: true } })).map((g) => [g.status, g._count._all]));
    const summary = (xs: number[]) => ({ n: xs.length, p50Ms: quantile(xs, 0.5), p99Ms: quantile(xs, 0.99) });
    return {
      autopilot, seedSeconds, targetSeconds, rest: { health: summary(lat.health), devices: summary(lat.devices) },
      reconciles: stats.reconciles, reconcileMsPerPair: stats.reconciles ? stats.reconcileMs / stats.reconciles : NaN, pausedMs: stats.pausedMs, states,
    };
  } finally {
    await cp.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(cl: CommandLine): Promise<void> {
  const o = options(cl);
  const off = await measure(o, false);
  const on = await measure(o, true);
  const ratio = (k: keyof Latencies) => on.rest[k].p99Ms / off.rest[k].p99Ms;
  const result = {
    bench: 'autopilot', ...o, on, off,
    p99Ratio: { health: ratio('health'), devices: ratio('devices') },
    goal: 'p99 with the autopilot on ≤ 2× off',
  };
  if (o.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  console.log(`autopilot bench: ${o.targets} targets, ${o.classes} classes, ${o.devices} devices, ${o.devices * o.reports} reports; REST load ${LOAD_CLIENTS} clients × ${o.seconds} s`);
  console.log('| endpoint | p50 off (ms) | p99 off (ms) | p50 on (ms) | p99 on (ms) | p99 on/off | requests off / on |');
  console.log('|---|---|---|---|---|---|---|');
  for (const k of ['health', 'devices'] as const) {
    const path = k === 'health' ? 'GET /health' : 'GET /api/v1/devices?limit=50';
    console.log(`| ${path} | ${f(off.rest[k].p50Ms)} | ${f(off.rest[k].p99Ms)} | ${f(on.rest[k].p50Ms)} | ${f(on.rest[k].p99Ms)} | **${ratio(k).toFixed(2)}×** | ${off.rest[k].n} / ${on.rest[k].n} |`);
  }
  console.log(`reconciles during the load: ${on.reconciles}, ${f(on.reconcileMsPerPair)} ms per pair (busy), paused ${(on.pausedMs / 1000).toFixed(1)} s; pair states: ${JSON.stringify(on.states)}`);
  console.log(`seeding ${on.seedSeconds.toFixed(1)} s / ${off.seedSeconds.toFixed(1)} s, creating targets ${on.targetSeconds.toFixed(1)} s (on) / ${off.targetSeconds.toFixed(1)} s (off)`);
}
