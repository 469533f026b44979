/**
 * The fault table: a deployment to real agent processes while something breaks. Each case starts its own
 * PostgreSQL cluster (initdb + pg_ctl as the `postgres` user, in a temp dir, on a free port), its own Mosquitto
 * (on a free port) and the control plane as a process (`node apps/control-plane/dist/main.js`), never the machine's
 * shared ones. Each case asserts that the deployment finishes, that every device's state in the API equals what the
 * device runs (its state.json), that no report is lost (every row has its report, every agent's outbox drains) or
 * counted twice (one stored report per device), and prints the recovery time.
 *
 * Mosquitto runs in the open lab mode (MQTT_ALLOW_ANONYMOUS) here: the faults are about delivery, and the closed
 * broker's rules are tested in broker-security.int.spec.ts. Skipped (with the reason) when `initdb`, `pg_ctl`,
 * `runuser` or `mosquitto` are missing — unless CI=true, where that is a failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GraphBuilder } from '@edgefleet/onnx';
import { freePort } from '@edgefleet/control-plane/dist/mqtt/testing/own-mosquitto';
import { Api, CI, knownClassifier, modelForm, reachable, sleep, startAgentProcess, waitFor, type AgentProcess } from './support';

const run = promisify(execFile);
const CP_MAIN = resolve(__dirname, '../../apps/control-plane/dist/main.js');
const ADMIN_KEY = 'faults-admin-key-0123456789abcdef';
const PG_BIN = (() => {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const v = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return v ? join(root, v, 'bin') : undefined;
})();

async function missingTools(): Promise<string | undefined> {
  if (!PG_BIN || !existsSync(join(PG_BIN, 'initdb'))) return 'no PostgreSQL server binaries (initdb)';
  for (const tool of ['mosquitto', 'runuser']) {
    try {
      await run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `no ${tool}`;
    }
  }
  return undefined;
}


/** A PostgreSQL cluster of the test's own, stoppable and restartable. */
class OwnPostgres {
  readonly url: string;
  private constructor(readonly dir: string, readonly port: number) {
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  static async start(root: string): Promise<OwnPostgres> {
    const dir = join(root, 'pg');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { uid, gid } = await pgIds();
    chownSync(root, uid, gid);
    chownSync(dir, uid, gid);
    await asPostgres([join(PG_BIN!, 'initdb'), '-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    const pg = new OwnPostgres(dir, await freePort());
    await pg.up();
    return pg;
  }

  async up(): Promise<void> {
    await asPostgres([join(PG_BIN!, 'pg_ctl'), '-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-w', '-t', '60',
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  }

  async down(): Promise<void> {
    await asPostgres([join(PG_BIN!, 'pg_ctl'), '-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  }
}

async function pgIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['postgres']);
  return { uid: Number(/uid=(\d+)/.exec(stdout)![1]), gid: Number(/gid=(\d+)/.exec(stdout)![1]) };
}
const asPostgres = (cmd: string[]) => run('runuser', ['-u', 'postgres', '--', ...cmd], { timeout: 90_000 });

/** Mosquitto on a free port, open (lab mode), no persistence: killing it loses what it held, as a crash does. */
class OwnMosquitto {
  private child: ChildProcess | undefined;
  private constructor(readonly conf: string, readonly port: number) {}
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  static async start(root: string): Promise<OwnMosquitto> {
    const port = await freePort();
    const conf = join(root, 'mosquitto.conf');
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_packet_size 262144\nmax_queued_messages 10000\n`);
    const m = new OwnMosquitto(conf, port);
    await m.up();
    return m;
  }

  async up(): Promise<void> {
    this.child = spawn('mosquitto', ['-c', this.conf], { stdio: 'ignore' });
    await waitFor('mosquitto listening', async () => (await reachable('127.0.0.1', this.port)) || undefined, 10_000, 50);
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((res) => { c.once('exit', () => res()); c.kill('SIGKILL'); });
  }
}

/** The control plane as a process (so it can be killed), on a fixed port so agents find it again after a restart. */
class CpProcess {
  private child: ChildProcess | undefined;
  private out = '';
  keyPath = '';
  constructor(private readonly env: Record<string, string>, readonly port: number) {}
  get api(): Api {
    return new Api(`http://127.0.0.1:${this.port}/api/v1`, ADMIN_KEY);
  }
  output(): string {
    return this.out;
  }

  async up(): Promise<void> {
    const child = spawn(process.execPath, [CP_MAIN], { env: { ...this.env, PORT: String(this.port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => { this.out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { this.out += d.toString(); });
    await waitFor('the control plane up', async () => {
      if (child.exitCode !== null) throw new Error(`control plane exited ${child.exitCode}: ${this.out.slice(-2000)}`);
      const m = /signing key\s+(\S+)/.exec(this.out);
      return m ? (this.keyPath = m[1]!) : undefined;
    }, 60_000, 100);
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((res) => { c.once('exit', () => res()); c.kill('SIGKILL'); });
  }
}

/** One case's world: its database, broker, control plane and agents. */
class World {
  readonly agents = new Map<string, AgentProcess>();
  private constructor(readonly root: string, readonly pg: OwnPostgres, readonly mqtt: OwnMosquitto, readonly cp: CpProcess, readonly tag: string) {}

  static async start(name: string): Promise<World> {
    const root = mkdtempSync(join(tmpdir(), `faults-${name}-`));
    const pg = await OwnPostgres.start(root);
    const mqtt = await OwnMosquitto.start(root);
    const cp = new CpProcess({
      PATH: process.env.PATH ?? '', DATABASE_URL: pg.url, MQTT_URL: mqtt.url, MQTT_ALLOW_ANONYMOUS: 'true', DATA_DIR: join(root, 'cp'),
      ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false',
      RATE_LIMIT_MAX: '0', DEVICE_MESSAGE_RETRY_MS: '20000',
    }, await freePort());
    await cp.up();
    return new World(root, pg, mqtt, cp, `f-${name}`);
  }

  stateDir(id: string): string {
    return join(this.root, 'agents', id);
  }

  agent(id: string, extraArgs: string[] = []): AgentProcess {
    const a = startAgentProcess({
      brokerUrl: this.mqtt.url, deviceId: id, profile: 'gateway', stateDir: this.stateDir(id), tags: [this.tag], trustKeyPath: this.cp.keyPath,
      extraArgs: ['--log-level', 'warn', ...extraArgs],
    });
    this.agents.set(id, a);
    return a;
  }

  async online(n: number): Promise<void> {
    await waitFor(`${n} agent(s) online`, async () => {
      const page = await this.cp.api.ok('GET', `/devices?tag=${this.tag}&status=online`);
      return page.items.length === n || undefined;
    }, 30_000);
  }

  async deploy(model: Uint8Array, evalSet?: Uint8Array): Promise<{ art: { id: string; sha256: string }; dep: { id: string } }> {
    const art = await this.cp.api.ok('POST', '/models', modelForm({ file: model, name: this.tag, version: '1', ...(evalSet && { evalSet }) }));
    const dep = await this.cp.api.ok('POST', '/deployments', { artifactId: art.id, tags: [this.tag] });
    return { art, dep };
  }

  /** Waits until some device of the deployment is in `state` (the moment to break something). */
  async someDevice(depId: string, states: string[], timeoutMs = 60_000): Promise<void> {
    await waitFor(`a device ${states.join('/')}`, async () => {
      const d = await this.cp.api.ok('GET', `/deployments/${depId}`);
      return d.devices.some((x: { state: string }) => states.includes(x.state)) || undefined;
    }, timeoutMs, 100);
  }

  /** Waits for the deployment to finish (the API may be down for a while: errors are retried). */
  async finished(depId: string, timeoutMs = 90_000): Promise<any> {
    return waitFor(`deployment ${depId} finished`, async () => {
      const d = await this.cp.api.ok('GET', `/deployments/${depId}`);
      return d.status !== 'in_progress' ? d : undefined;
    }, timeoutMs, 200);
  }

  /** What the device runs, from its own disk. */
  runs(id: string): string | undefined {
    const s = JSON.parse(readFileSync(join(this.stateDir(id), 'state.json'), 'utf8')) as { active?: { sha256: string } };
    return s.active?.sha256;
  }

  /** The "nothing lost, nothing twice" assertions for a finished deployment. */
  async assertConsistent(depId: string, art: { id: string; sha256: string }, expected: 'active' | 'failed'): Promise<void> {
    const d = await this.cp.api.ok('GET', `/deployments/${depId}`);
    for (const row of d.devices as Array<{ deviceId: string; state: string; report: unknown; error: string | null }>) {
      assert.equal(row.state, expected, `${row.deviceId}: ${row.error ?? ''}\n${this.agents.get(row.deviceId)?.output().slice(-3000)}`);
      assert.ok(row.report, `${row.deviceId}: the report is stored (not lost)`);
      const device = await this.cp.api.ok('GET', `/devices/${row.deviceId}`);
      const runs = this.runs(row.deviceId);
      if (expected === 'active') {
        assert.equal(runs, art.sha256, `${row.deviceId} runs the model`);
        assert.equal(device.activeArtifactId, art.id, `${row.deviceId}: the API says what the device runs`);
      } else {
        assert.notEqual(runs, art.sha256);
      }
      const reports = await this.cp.api.ok('GET', `/devices/${row.deviceId}/reports?limit=100`);
      assert.equal(reports.items.filter((r: { deploymentId: string }) => r.deploymentId === depId).length, 1, `${row.deviceId}: one report, not two`);
      await waitFor(`${row.deviceId}'s outbox drained`, async () => readdirSync(join(this.stateDir(row.deviceId), 'outbox')).length === 0 || undefined, 40_000);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop('SIGKILL')));
    await this.cp.kill();
    await this.mqtt.kill();
    await this.pg.down();
    await run('umount', [join(this.root, 'agents', 'tiny')]).catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A model of about `mb` MB (one MatMul): big enough to take a while to transfer and to overflow a small disk. */
function modelOfMb(mb: number): Uint8Array {
  const features = 256;
  const classes = Math.ceil((mb * 1024 * 1024) / 4 / features);
  const g = new GraphBuilder('big');
  const x = g.input('input', 'float32', ['batch', features]);
  const w = new Float32Array(features * classes);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  g.output(g.op('MatMul', [x, g.initializer('w', w, [features, classes])]), 'float32', ['batch', classes], 'logits');
  return g.toModel();
}

/** A benchmark that lasts ≥ 3 s: a window to break things in. */
const SLOW_BENCH = ['--bench-min-ms', '3000', '--bench-max-ms', '4000'];
const table: string[] = [];

describe('fault table', { timeout: 240_000 }, () => {
  let skip: string | undefined;
  before(async () => {
    skip = await missingTools();
    if (skip && CI) throw new Error(`fault tests need their tools under CI: ${skip}`);
  });
  after(() => {
    if (table.length > 0) console.log(`\nfault                                   | recovery after the fault ended | outcome\n${table.join('\n')}`);
  });

  it('database stopped and restarted mid-rollout', { timeout: 120_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const w = await World.start('db');
    try {
      w.agent('db-1', SLOW_BENCH);
      w.agent('db-2', SLOW_BENCH);
      await w.online(2);
      const { model, evalSet } = knownClassifier();
      const { art, dep } = await w.deploy(model, evalSet);
      await w.someDevice(dep.id, ['downloading', 'verifying', 'benchmarking']);
      await w.pg.down();
      await sleep(8000); // reports and progress arrive meanwhile: retried by the control plane, then by the agents
      await w.pg.up();
      const t0 = Date.now();
      const done = await w.finished(dep.id);
      const recovery = Date.now() - t0;
      assert.equal(done.status, 'succeeded', JSON.stringify(done.devices) + w.cp.output().slice(-3000));
      await w.assertConsistent(dep.id, art, 'active');
      table.push(`database stopped 8 s mid-rollout           | ${String(recovery).padStart(6)} ms                      | succeeded, 2/2 active, 1 report each`);
      t.diagnostic(`recovery ${recovery} ms after PostgreSQL came back`);
    } finally {
      await w.close();
    }
  });

  it('control plane killed mid-benchmark', { timeout: 120_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const w = await World.start('cpkill');
    try {
      w.agent('cp-1', SLOW_BENCH);
      w.agent('cp-2', SLOW_BENCH);
      await w.online(2);
      const { model, evalSet } = knownClassifier();
      const { art, dep } = await w.deploy(model, evalSet);
      await w.someDevice(dep.id, ['benchmarking']);
      await w.cp.kill();
      await sleep(5000); // the agents finish benchmarking and report to a control plane that is not there
      await w.cp.up();
      const t0 = Date.now();
      const done = await w.finished(dep.id);
      const recovery = Date.now() - t0;
      assert.equal(done.status, 'succeeded', JSON.stringify(done.devices));
      await w.assertConsistent(dep.id, art, 'active');
      table.push(`control plane killed mid-benchmark         | ${String(recovery).padStart(6)} ms                      | succeeded, 2/2 active, 1 report each`);
      t.diagnostic(`recovery ${recovery} ms after the control plane restarted`);
    } finally {
      await w.close();
    }
  });

  it('agent killed mid-benchmark: after a restart it runs the old or the new model, never neither, and reports once', { timeout: 120_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const w = await World.start('agentkill');
    try {
      w.agent('ak-1', SLOW_BENCH);
      await w.online(1);
      const { model, evalSet } = knownClassifier();
      const { art, dep } = await w.deploy(model, evalSet);
      await w.someDevice(dep.id, ['benchmarking']);
      await w.agents.get('ak-1')!.stop('SIGKILL');
      assert.notEqual(w.runs('ak-1'), art.sha256, 'killed before activating: still the old model (none before)');
      w.agent('ak-1', SLOW_BENCH);
      const t0 = Date.now();
      const done = await w.finished(dep.id);
      const recovery = Date.now() - t0;
      assert.equal(done.status, 'succeeded', JSON.stringify(done.devices));
      await w.assertConsistent(dep.id, art, 'active');
      table.push(`agent killed mid-benchmark                 | ${String(recovery).padStart(6)} ms                      | succeeded, 1/1 active, 1 report`);
      t.diagnostic(`recovery ${recovery} ms after the agent restarted`);
    } finally {
      await w.close();
    }
  });

  it('disk full on the device: the pre-flight check fails the deployment cleanly with reason disk full', { timeout: 120_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const w = await World.start('disk');
    try {
      const dir = w.stateDir('tiny');
      mkdirSync(dir, { recursive: true });
      // A 6 MB disk (tmpfs: this test runs as root; without root it is skipped, not simulated).
      const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', dir]).then(() => true, () => false);
      if (!mounted) return t.skip('cannot mount a small tmpfs (needs root)');
      w.agent('tiny');
      await w.online(1);
      const model = modelOfMb(5);
      const { art, dep } = await w.deploy(model);
      const t0 = Date.now();
      const done = await w.finished(dep.id);
      const took = Date.now() - t0;
      assert.equal(done.status, 'failed');
      assert.match(done.devices[0].error ?? '', /disk full/, JSON.stringify(done.devices[0]));
      await w.assertConsistent(dep.id, art, 'failed');
      table.push(`disk full on the device (6 MB, 5 MB model) | ${String(took).padStart(6)} ms (deploy → failed)     | failed: ${String(done.devices[0].error).slice(0, 60)}`);
    } finally {
      await w.close();
    }
  });
});
