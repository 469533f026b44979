/**
 * `npm run bench -- cost --before <tree> [--rounds 3] [--duration 5] [--connections 10] [--devices 10] [--json]`
 *
 * What the closed fleet's checks cost, measured side by side in one run: `<tree>` is a built checkout of the
 * code before them (e.g. `git worktree add ../before a18f344 && (cd ../before && npm run build)`), the current
 * tree is this one. Alternating rounds, so drift on a shared machine hits both alike; medians are printed.
 *
 * - OTA: each tree's own `bench ota --broker embedded --json` (delivery through the control plane's OTA path
 *   vs raw MQTT of the same bytes through the same broker) in a child process; the ratio ota/raw is compared.
 *   That bench runs the MQTT edge in lab mode (anonymous probes), so per-packet costs (packet-size guard,
 *   authorizePublish/Subscribe/Forward, per-device rate limit and fair queue) are in it; the login check and
 *   the block server's allow-list lookup (once per device and minute) are not.
 * - REST: each tree's control plane in a child process (PGlite, 100 devices seeded over REST), autocannon from
 *   this process on two read routes; p50/p99 latency and requests/s. API keys, roles, the rate limiter (now)
 *   and the request pipeline of each tree are in the measurement.
 */
import autocannon from 'autocannon';
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { CommandLine, CommandSpec } from '@edgefleet/toolkit';

const execFileAsync = promisify(execFile);
const KEY = 'bench-cost-admin-key-0123456789';
const ROUTES = [
  { name: 'GET /devices?limit=100', path: '/api/v1/devices?limit=100' },
  { name: 'GET /devices/:id', path: '/api/v1/devices/cost-42' },
];

export const command: CommandSpec = {
  name: 'bench cost',
  invocation: 'npm run bench -- cost',
  summary: 'OTA ratio and REST latency of a built older tree (--before) vs this one, alternated in one run.',
  options: {
    before: { type: 'string', arg: '<dir>', help: 'a built checkout of the code to compare with (required)' },
    rounds: { type: 'string', arg: '<n>', help: 'alternated rounds per side (default 3)' },
    duration: { type: 'string', arg: '<s>', help: 'seconds per REST measurement (default 5)' },
    connections: { type: 'string', arg: '<n>', help: 'autocannon connections (default 10)' },
    devices: { type: 'string', arg: '<n>', help: 'concurrent simulated devices in the OTA bench (default 10)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
};

interface Side { tree: string; ota: Array<{ devices: number; ratio: number; otaMBps: number }>; rest: Array<{ route: string; p50: number; p99: number; reqPerSec: number }> }

export async function run(cl: CommandLine): Promise<void> {
  const beforeTree = cl.string('before');
  const rounds = cl.number('rounds', { integer: true, min: 1 }) ?? 3;
  const duration = cl.number('duration', { integer: true, min: 1 }) ?? 5;
  const connections = cl.number('connections', { integer: true, min: 1 }) ?? 10;
  const devices = cl.number('devices', { integer: true, min: 1 }) ?? 10;
  const json = cl.flag('json');
  cl.done();
  if (!beforeTree) throw new Error('--before <dir> is required (a built checkout of the older code)');
  const trees = { before: resolve(beforeTree), now: resolve(__dirname, '../..') };
  const loadStart = loadavg();
  const samples: Record<'before' | 'now', Side[]> = { before: [], now: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate which side goes first, too.
    const order: Array<'before' | 'now'> = r % 2 === 0 ? ['before', 'now'] : ['now', 'before'];
    for (const side of order) samples[side].push(await measure(trees[side], { duration, connections, devices }));
  }
  const summary = (side: 'before' | 'now') => ({
    tree: trees[side],
    ota: [1, devices].map((d) => {
      const ok = samples[side].map((s) => s.ota.find((o) => o.devices === d)).filter((o) => o !== undefined);
      return { devices: d, rounds: ok.length, ratio: median(ok.map((o) => o.ratio)), otaMBps: median(ok.map((o) => o.otaMBps)) };
    }),
    rest: ROUTES.map((route) => ({
      route: route.name,
      p50: median(samples[side].map((s) => s.rest.find((x) => x.route === route.name)!.p50)),
      p99: median(samples[side].map((s) => s.rest.find((x) => x.route === route.name)!.p99)),
      reqPerSec: median(samples[side].map((s) => s.rest.find((x) => x.route === route.name)!.reqPerSec)),
    })),
  });
  const result = { bench: 'cost', rounds, duration, connections, devices, loadavgStart: loadStart, loadavgEnd: loadavg(), before: summary('before'), now: summary('now') };
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`closed-fleet checks: before = ${result.before.tree}, now = ${result.now.tree}; median of ${rounds} alternated rounds; load ${loadStart.map((l) => l.toFixed(1)).join(' ')} → ${result.loadavgEnd.map((l) => l.toFixed(1)).join(' ')}`);
  for (const d of [1, devices]) {
    const b = result.before.ota.find((o) => o.devices === d)!;
    const n = result.now.ota.find((o) => o.devices === d)!;
    console.log(`OTA ${d} device(s): ota/raw before ${b.ratio.toFixed(3)} (${b.otaMBps.toFixed(1)} MB/s, ${b.rounds} rounds), now ${n.ratio.toFixed(3)} (${n.otaMBps.toFixed(1)} MB/s, ${n.rounds} rounds)`);
  }
  for (const route of ROUTES) {
    const b = result.before.rest.find((x) => x.route === route.name)!;
    const n = result.now.rest.find((x) => x.route === route.name)!;
    console.log(`${route.name}: p50/p99 before ${b.p50}/${b.p99} ms (${b.reqPerSec.toFixed(0)} req/s), now ${n.p50}/${n.p99} ms (${n.reqPerSec.toFixed(0)} req/s)`);
  }
}

async function measure(tree: string, o: { duration: number; connections: number; devices: number }): Promise<Side> {
  let ota: Side['ota'] = [];
  try {
    const { stdout } = await execFileAsync(process.execPath, [join(tree, 'bench/dist/index.js'), 'ota', '--broker', 'embedded', '--devices', String(o.devices), '--repeat', '3', '--json'], { maxBuffer: 16 << 20 });
    ota = (JSON.parse(stdout.slice(stdout.indexOf('{'))) as { rows: Array<{ devices: number; ratio: number; otaMBps: number }> }).rows
      .map((r) => ({ devices: r.devices, ratio: r.ratio, otaMBps: r.otaMBps }));
  } catch (err) {
    // A round whose OTA bench failed (e.g. a starved device stalled) is reported, not retried.
    console.error(`OTA bench of ${tree} failed: ${(err as Error).message.split('\n').slice(0, 2).join(' ')}`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'ef-bench-cost-'));
  const child = fork(join(__dirname, 'cost-server.js'), [tree, KEY, dataDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const url = await new Promise<string>((res, rej) => {
      child.once('exit', (code) => rej(new Error(`control plane of ${tree} exited (code ${code}) before it was ready`)));
      child.on('message', (m: { ready?: { url: string } }) => m.ready && res(m.ready.url));
    });
    const rest = [];
    for (const route of ROUTES) {
      await load(url, route.path, { ...o, duration: 1 }); // warm-up
      const r = await load(url, route.path, o);
      rest.push({ route: route.name, ...r });
    }
    return { tree, ota, rest };
  } finally {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function load(base: string, path: string, o: { duration: number; connections: number }): Promise<{ p50: number; p99: number; reqPerSec: number }> {
  const r = await autocannon({ url: base, connections: o.connections, duration: o.duration, requests: [{ method: 'GET', path, headers: { authorization: `Bearer ${KEY}` } }] });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${path}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return { p50: r.latency.p50, p99: r.latency.p99, reqPerSec: r.requests.average };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  proc.send({ stop: true });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const median = (xs: number[]): number => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
