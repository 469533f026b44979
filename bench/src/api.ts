/**
 * `npm run bench -- api [--db both|pglite|postgres] [--duration 5] [--connections 10] [--runs 3] [--warmup 3000] [--routes a,b] [--cpu-prof DIR] [--perf FILE] [--json]`
 *
 * The admin API's main routes under load (autocannon, in this process) against the control plane started in a
 * child process (embedded PGlite, or a fresh PostgreSQL database on TEST_DATABASE_URL's server), beside a bare
 * Fastify in another child process that answers the same requests with the very bytes the control plane gave —
 * same connections, same duration, after the same warm-up, runs alternated (ABBA) so drift on a shared machine
 * hits both alike; the median run is reported, with each server's CPU time per request (steadier than req/s
 * when the machine is loaded). The control plane is seeded with 100 devices, 10 models and 20 deployments to those 100.
 *
 * `--cpu-prof DIR` starts the control plane with `node --cpu-prof` (profile written to DIR when it stops). V8 samples
 * on a wall-clock timer, so on a loaded machine a thread descheduled in a syscall piles samples there (a `writev`
 * 30 % that was mostly waiting for a core). `--perf FILE` samples CPU time instead: the control plane runs with
 * `--perf-basic-prof` (JIT symbols) and `perf record -g` follows it from after seeding to the end of the runs
 * (warm-ups included) into FILE.pglite / FILE.postgres — read with `perf report -i FILE.<db> --no-children`.
 */
import autocannon from 'autocannon';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempPostgresDatabase, type TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import type { CommandLine, CommandSpec } from '@edgefleet/toolkit';
import { FLEET_SIZE, FLEET_TAG, type RecordedRoute, type Seeded } from './api-server';

interface Route {
  name: string;
  kind: 'read' | 'write';
  method: 'GET' | 'POST' | 'PATCH';
  /** The path autocannon asks for (and a sample the bare server is given the answer of). */
  path: string;
  /** Fastify route pattern for the bare server. */
  pattern: string;
  /** A fresh body per request (write routes). */
  body?: () => unknown;
}

interface Side {
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Server process CPU time (user + system) per answered request: steadier than req/s on a loaded machine. */
  cpuMicrosPerReq: number;
  /**
   * The load generator's CPU time ÷ wall time over the run (1 = a whole core). Near 1 the generator, not the
   * server, set req/s: that side's req/s is a floor and the ratio is not the servers' ratio.
   */
  generatorBusy: number;
}

/** A server child process and where it listens. */
interface Server {
  url: string;
  proc: ChildProcess;
}

interface Row {
  db: string;
  route: string;
  kind: 'read' | 'write';
  ours: Side;
  bare: Side;
  /** ours req/s ÷ bare req/s (medians): the goal's measure. */
  ratio: number;
  /** bare CPU µs per request ÷ ours (medians): the same ratio from the servers' CPU time, less hit by the load. */
  cpuRatio: number;
  /** 1-minute load average when the route's runs started. */
  load: number;
}

const KEY = 'bench-admin-key-0123456789';
let serial = 0;

function routesFor(s: Seeded): Route[] {
  return [
    { name: 'GET /devices?limit=100', kind: 'read', method: 'GET', path: '/api/v1/devices?limit=100', pattern: '/api/v1/devices' },
    { name: 'GET /devices/:id', kind: 'read', method: 'GET', path: `/api/v1/devices/${s.deviceId}`, pattern: '/api/v1/devices/:id' },
    { name: 'GET /deployments', kind: 'read', method: 'GET', path: '/api/v1/deployments', pattern: '/api/v1/deployments' },
    { name: 'GET /deployments/:id', kind: 'read', method: 'GET', path: `/api/v1/deployments/${s.deploymentId}`, pattern: '/api/v1/deployments/:id' },
    { name: 'GET /models', kind: 'read', method: 'GET', path: '/api/v1/models', pattern: '/api/v1/models' },
    {
      name: 'POST /devices', kind: 'write', method: 'POST', path: '/api/v1/devices', pattern: '/api/v1/devices',
      body: () => ({ id: `new-${process.pid}-${serial++}`, tags: ['bench-new'], profile: { name: 'rpi4', arch: 'arm64', cores: 4, clockMhz: 1500, simd: ['neon'], ramMb: 4096 } }),
    },
    {
      name: 'PATCH /devices/:id', kind: 'write', method: 'PATCH', path: `/api/v1/devices/${s.deviceId}`, pattern: '/api/v1/devices/:id',
      body: () => ({ name: `renamed ${serial++}` }),
    },
    {
      name: `POST /deployments (${FLEET_SIZE} devices)`, kind: 'write', method: 'POST', path: '/api/v1/deployments', pattern: '/api/v1/deployments',
      body: () => ({ artifactId: s.artifactId, tags: [FLEET_TAG] }),
    },
  ];
}

export const command: CommandSpec = {
  name: 'bench api',
  invocation: 'npm run bench -- api',
  summary: 'The admin API under autocannon beside a bare Fastify server returning the same bytes, on PGlite and PostgreSQL.',
  options: {
    db: { type: 'string', arg: 'both|pglite|postgres', help: 'which database (default both)' },
    duration: { type: 'string', arg: '<s>', help: 'seconds per measurement (default 5)' },
    connections: { type: 'string', arg: '<n>', help: 'autocannon connections (default 10)' },
    runs: { type: 'string', arg: '<n>', help: 'alternated runs per route, the median is printed (default 3)' },
    warmup: { type: 'string', arg: '<n>', help: 'untimed requests per read route and server before its runs (default 3000)' },
    routes: { type: 'string', arg: '<a,b>', help: 'only these routes' },
    'cpu-prof': { type: 'string', arg: '<dir>', help: 'write a CPU profile of the control plane here (V8, wall-clock sampled)' },
    perf: { type: 'string', arg: '<file>', help: 'perf record the control plane (CPU-time sampled) into <file>.<db>' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
};

export async function run(cl: CommandLine): Promise<void> {
  const db = cl.oneOf('db', ['both', 'pglite', 'postgres'] as const) ?? 'both';
  const opts = {
    duration: cl.number('duration', { integer: true, min: 1 }) ?? 5,
    connections: cl.number('connections', { integer: true, min: 1 }) ?? 10,
    runs: cl.number('runs', { integer: true, min: 1 }) ?? 3,
    warmup: cl.number('warmup', { integer: true, min: 0 }) ?? 3000,
    only: cl.list('routes', (r) => r, 'comma-separated route names'),
    cpuProf: cl.string('cpu-prof'),
    perf: cl.string('perf'),
  };
  const json = cl.flag('json');
  cl.done();
  const dbs: string[] = db === 'both' ? ['pglite', 'postgres'] : [db];
  const rows: Row[] = [];
  for (const db of dbs) rows.push(...(await benchDatabase(db, opts)));
  const verdict = {
    readsVsBare: Object.fromEntries(dbs.map((db) => [db, Math.min(...rows.filter((r) => r.db === db && r.kind === 'read').map((r) => r.ratio))])),
    readsCpuVsBare: Object.fromEntries(dbs.map((db) => [db, Math.min(...rows.filter((r) => r.db === db && r.kind === 'read').map((r) => r.cpuRatio))])),
    worstReadP99: Math.max(...rows.filter((r) => r.kind === 'read').map((r) => r.ours.p99)),
  };
  if (json) {
    console.log(JSON.stringify({ bench: 'api', ...opts, rows, ...verdict }));
    return;
  }
  console.log(`admin API vs bare Fastify returning the same bytes; autocannon ${opts.connections} connections × ${opts.duration} s, median of ${opts.runs} alternated runs`);
  console.log(
    pad('db', 10) + pad('route', 32) + pad('ours req/s', 12) + pad('p50/p99 ms', 13) + pad('µs cpu/req', 12) + pad('bare req/s', 12) + pad('p50/p99 ms', 13) +
    pad('µs cpu/req', 12) + pad('ratio', 8) + pad('cpu ratio', 11) + pad('gen busy', 11) + pad('load', 7) + 'non-2xx',
  );
  for (const r of rows) {
    console.log(
      pad(r.db, 10) + pad(r.route, 32) + pad(r.ours.reqPerSec.toFixed(0), 12) + pad(`${r.ours.p50}/${r.ours.p99}`, 13) + pad(r.ours.cpuMicrosPerReq.toFixed(0), 12) +
      pad(r.bare.reqPerSec.toFixed(0), 12) + pad(`${r.bare.p50}/${r.bare.p99}`, 13) + pad(r.bare.cpuMicrosPerReq.toFixed(0), 12) +
      pad(r.ratio.toFixed(3), 8) + pad(r.cpuRatio.toFixed(3), 11) + pad(`${r.ours.generatorBusy.toFixed(2)}/${r.bare.generatorBusy.toFixed(2)}`, 11) + pad(r.load.toFixed(1), 7) + String(r.ours.non2xx + r.ours.errors),
    );
  }
  console.log(`lowest read ratio: ${Object.entries(verdict.readsVsBare).map(([db, v]) => `${db} ${v.toFixed(3)}`).join(', ')} (goal ≥ 0.5 PostgreSQL, ≥ 0.3 PGlite); by CPU per request: ${Object.entries(verdict.readsCpuVsBare).map(([db, v]) => `${db} ${v.toFixed(3)}`).join(', ')}; worst read p99 ${verdict.worstReadP99} ms (goal < 20)`);
}

async function benchDatabase(db: string, opts: { duration: number; connections: number; runs: number; warmup: number; only?: string[]; cpuProf?: string; perf?: string }): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ef-bench-api-'));
  let pg: TempPostgresDatabase | undefined;
  let cp: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
  let perf: ChildProcess | undefined;
  try {
    if (db === 'postgres') pg = await createTempPostgresDatabase();
    else if (db !== 'pglite') throw new Error(`--db must be pglite, postgres or both (got ${db})`);
    const execArgv = [...(opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf] : []), ...(opts.perf ? ['--perf-basic-prof'] : [])];
    const started = await child('cp', { DATA_DIR: dataDir, ADMIN_API_KEY: KEY, ...(pg ? { DATABASE_URL: pg.url } : {}) }, execArgv);
    cp = started.proc;
    const seeded = started.ready as Seeded;
    const ourServer: Server = { url: seeded.url, proc: cp };
    const routes = routesFor(seeded).filter((r) => !opts.only || opts.only.some((f) => r.name.includes(f)));
    const recorded = await Promise.all(routes.map((r) => record(seeded.url, r)));
    const b = await child('bare', {}, [], { routes: recorded });
    bare = b.proc;
    const bareServer: Server = { url: (b.ready as { url: string }).url, proc: bare };
    if (opts.perf) perf = startPerf(cp.pid!, `${opts.perf}.${db}`);
    const rows: Row[] = [];
    for (const route of routes) {
      const ours: Side[] = [];
      const theirs: Side[] = [];
      const load1 = loadavg()[0]!;
      // Untimed rounds warm the JIT, caches and connection pools. A read's by request count, not time: on a loaded
      // machine a second is a few hundred requests, and the control plane's longer path is then still partly
      // unoptimized (3× the CPU per request of a warm process), which measures the JIT rather than the route.
      const warm = route.kind === 'read' && opts.warmup > 0 ? { ...opts, amount: opts.warmup } : { ...opts, duration: 1 };
      await load(ourServer, route, warm);
      await load(bareServer, route, warm);
      for (let i = 0; i < opts.runs; i++) {
        // ABBA order: a drift in the machine's load over a pair hits both sides alike.
        if (i % 2 === 0) {
          ours.push(await load(ourServer, route, opts));
          theirs.push(await load(bareServer, route, opts));
        } else {
          theirs.push(await load(bareServer, route, opts));
          ours.push(await load(ourServer, route, opts));
        }
      }
      const o = medianBy(ours);
      const t = medianBy(theirs);
      const cpu = (sides: Side[]) => median(sides.map((s) => s.cpuMicrosPerReq));
      rows.push({ db, route: route.name, kind: route.kind, ours: o, bare: t, ratio: o.reqPerSec / t.reqPerSec, cpuRatio: cpu(theirs) / cpu(ours), load: load1 });
    }
    return rows;
  } finally {
    await stopPerf(perf);
    await Promise.all([stop(cp), stop(bare)]);
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The control plane's answer to one request of the route, for the bare server to repeat byte for byte. */
async function record(base: string, route: Route): Promise<RecordedRoute> {
  const headers: Record<string, string> = { authorization: `Bearer ${KEY}` };
  if (route.body) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${route.path}`, { method: route.method, headers, body: route.body ? JSON.stringify(route.body()) : undefined });
  const body = await res.text();
  if (res.status >= 300) throw new Error(`${route.name} answered ${res.status}: ${body}`);
  return { method: route.method, url: route.pattern, status: res.status, contentType: res.headers.get('content-type') ?? 'application/json', body };
}

async function load(server: Server, route: Route, opts: { duration: number; connections: number; amount?: number }): Promise<Side> {
  const cpuBefore = await cpuOf(server.proc);
  const headers: Record<string, string> = { authorization: `Bearer ${KEY}` };
  if (route.body) headers['content-type'] = 'application/json';
  const make = route.body;
  const genBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const result = await autocannon({
    url: server.url,
    connections: opts.connections,
    ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.duration }),
    requests: [{
      method: route.method,
      path: route.path,
      headers,
      ...(make ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(make()) }) } : {}),
    }],
  });
  const gen = process.cpuUsage(genBefore);
  const generatorBusy = (gen.user + gen.system) / ((performance.now() - wallBefore) * 1000);
  const cpuMicros = (await cpuOf(server.proc)) - cpuBefore;
  return {
    reqPerSec: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts,
    cpuMicrosPerReq: result.requests.total > 0 ? cpuMicros / result.requests.total : 0, generatorBusy,
  };
}

/** The child's CPU time so far (µs), asked over IPC. */
function cpuOf(proc: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: { cpuMicros?: number }) => {
      if (m.cpuMicros === undefined) return;
      proc.off('message', onMessage);
      resolve(m.cpuMicros);
    };
    proc.on('message', onMessage);
    proc.send({ cpu: true });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function medianBy(sides: Side[]): Side {
  const sorted = [...sides].sort((a, b) => a.reqPerSec - b.reqPerSec);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function child(mode: 'cp' | 'bare', env: Record<string, string>, execArgv: string[], first?: { routes: RecordedRoute[] }): Promise<{ proc: ChildProcess; ready: unknown }> {
  const proc = fork(join(__dirname, 'api-server.js'), [mode], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (first !== undefined) proc.send(first);
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`bench ${mode} server exited (code ${code}) before it was ready`)));
    proc.on('message', (m: { ready?: unknown }) => {
      if (m.ready) resolve({ proc, ready: m.ready });
    });
  });
}

async function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.send({ stop: true });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function startPerf(pid: number, file: string): ChildProcess {
  const proc = spawn('perf', ['record', '-g', '-F', '999', '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  proc.on('error', (err) => console.error(`perf record could not start: ${err.message}`));
  return proc;
}

async function stopPerf(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGINT'); // perf writes its file on SIGINT
  await exited;
}

const pad = (s: string, n: number) => s.padEnd(n);
