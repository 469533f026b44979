/**
 * The fault table: deployments to real agent processes while something breaks. One world serves every case: a
 * PostgreSQL cluster of the test's own (initdb + pg_ctl as the `postgres` user, in a temp dir, on a free port), a
 * Mosquitto of its own, closed as production runs it (the configuration `npm run broker:mosquitto-config` writes:
 * no anonymous login, the dynamic-security plugin, one account per enrolled device; the agents enroll with a token),
 * and the control plane as a process (`node apps/control-plane/dist/main.js`), so each can be stopped, killed and
 * restarted. Never the machine's shared ones. Each case uses devices of its own and leaves the world running.
 *
 * Each case asserts that the deployment finishes, that every device's state in the API equals what the device
 * runs (its state.json), that no report is lost (every row has its report, every agent's outbox drains) or counted
 * twice (one stored report per device), and prints its recovery time into the table the file ends with. Skipped
 * (with the reason) when `initdb`, `pg_ctl`, `runuser` or `mosquitto` are missing — unless CI=true, where that is a
 * failure.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GraphBuilder } from '@edgefleet/onnx';
import { freePort, startOwnMosquitto, type OwnMosquitto } from '@edgefleet/control-plane/dist/mqtt/testing/own-mosquitto';
import { Api, CI, CpProcess, enrollmentToken, knownClassifier, modelForm, sleep, startAgentProcess, waitFor, type AgentProcess } from './support';

const run = promisify(execFile);
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
  private running = false;
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

  get isUp(): boolean {
    return this.running;
  }

  async up(): Promise<void> {
    await asPostgres([join(PG_BIN!, 'pg_ctl'), '-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-w', '-t', '60',
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
    this.running = true;
  }

  async down(): Promise<void> {
    this.running = false;
    await asPostgres([join(PG_BIN!, 'pg_ctl'), '-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  }
}

async function pgIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['postgres']);
  return { uid: Number(/uid=(\d+)/.exec(stdout)![1]), gid: Number(/gid=(\d+)/.exec(stdout)![1]) };
}
const asPostgres = (cmd: string[]) => run('runuser', ['-u', 'postgres', '--', ...cmd], { timeout: 90_000 });

interface Artifact { id: string; sha256: string }

/** The world every case shares: the database, the closed broker, the control plane(s) and the agents. */
class World {
  readonly agents = new Map<string, AgentProcess>();
  readonly cps: CpProcess[] = [];
  private token = '';
  private constructor(readonly root: string, readonly pg: OwnPostgres, readonly mqtt: OwnMosquitto) {}

  static async start(): Promise<World> {
    const root = mkdtempSync(join(tmpdir(), 'faults-'));
    let pg: OwnPostgres | undefined;
    let mqtt: OwnMosquitto | undefined;
    let w: World | undefined;
    try {
      pg = await OwnPostgres.start(root);
      // The broker's configuration is generated from the database, as an operator does (docs/security.md).
      mqtt = await startOwnMosquitto(join(root, 'broker'), [], { DATABASE_URL: pg.url });
      w = new World(root, pg, mqtt);
      await w.addControlPlane();
      w.token = await enrollmentToken(`${w.cp.httpUrl}/api/v1`, ADMIN_KEY, ['faults'], 200);
      return w;
    } catch (err) {
      // Nothing may outlive a failed start: a control plane still starting would keep the test file from exiting.
      for (const cp of w?.cps ?? []) await cp.kill();
      await mqtt?.kill();
      await pg?.down();
      rmSync(root, { recursive: true, force: true });
      throw err;
    }
  }

  /** The first control plane (the two-control-plane case adds a second). */
  get cp(): CpProcess {
    return this.cps[0]!;
  }

  /** One more control plane on the same database and broker; the signing key directory is the only shared one. */
  async addControlPlane(): Promise<CpProcess> {
    const name = `control plane ${String.fromCharCode(65 + this.cps.length)}`;
    const cp = new CpProcess(name, {
      PATH: process.env.PATH ?? '', DATABASE_URL: this.pg.url, ...this.mqtt.env, DATA_DIR: join(this.root, `cp-${this.cps.length}`),
      SIGNING_KEY_DIR: join(this.root, 'keys'), ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', EMBEDDED_WORKER: 'false',
      AUTOPILOT_ENABLED: 'false', RATE_LIMIT_MAX: '0',
    }, await freePort(), ADMIN_KEY);
    this.cps.push(cp);
    await cp.up();
    return cp;
  }

  stateDir(id: string): string {
    return join(this.root, 'agents', id);
  }

  /** Starts (or restarts) an agent; the first start enrolls it with the world's token. */
  agent(id: string, extraArgs: string[] = []): AgentProcess {
    const cp = this.cps.find((c) => c.running) ?? this.cp;
    const a = startAgentProcess({
      brokerUrl: this.mqtt.url, deviceId: id, profile: 'gateway', stateDir: this.stateDir(id), trustKeyPath: cp.keyPath,
      enroll: { token: this.token, httpUrl: cp.httpUrl }, extraArgs: ['--log-level', 'warn', ...extraArgs],
    });
    this.agents.set(id, a);
    return a;
  }

  /** Starts the case's agents and waits until `api`'s control plane sees them online. */
  async agentsOnline(api: Api, ids: string[], extraArgs: string[] = []): Promise<void> {
    for (const id of ids) this.agent(id, extraArgs);
    await this.online(api, ids);
  }

  /**
   * The end of a case whose fault is over: waits for the deployment, asserts it succeeded with nothing lost or
   * counted twice, and returns how long that took from now (the recovery time).
   */
  async succeeds(api: Api, depId: string, art: Artifact): Promise<number> {
    const t0 = Date.now();
    const done = await this.finished(api, depId);
    const recovery = Date.now() - t0;
    assert.equal(done.status, 'succeeded', JSON.stringify(done.devices));
    await this.assertConsistent(api, depId, art, 'active');
    return recovery;
  }

  async online(api: Api, ids: string[]): Promise<void> {
    for (const id of ids) await waitFor(`${id} online`, async () => (await api.ok('GET', `/devices/${id}`)).status === 'online', 60_000);
  }

  async deploy(api: Api, ids: string[], model: Uint8Array, evalSet?: Uint8Array): Promise<{ art: Artifact; dep: { id: string } }> {
    const art = await api.ok('POST', '/models', modelForm({ file: model, name: `faults-${ids[0]}`, version: String(Date.now()), ...(evalSet && { evalSet }) }));
    const dep = await api.ok('POST', '/deployments', { artifactId: art.id, deviceIds: ids });
    return { art, dep };
  }

  /** Waits until some device of the deployment is in one of `states` (the moment to break something). */
  async someDevice(api: Api, depId: string, states: string[], timeoutMs = 60_000): Promise<void> {
    await this.explained(api, depId, waitFor(`a device ${states.join('/')}`, async () => {
      const d = await api.ok('GET', `/deployments/${depId}`);
      return d.devices.some((x: { state: string }) => states.includes(x.state)) || undefined;
    }, timeoutMs, 50));
  }

  /** Waits for the deployment to finish (the API may be down for a while: errors are retried). */
  async finished(api: Api, depId: string, timeoutMs = 90_000): Promise<any> {
    return this.explained(api, depId, waitFor(`deployment ${depId} finished`, async () => {
      const d = await api.ok('GET', `/deployments/${depId}`);
      return d.status !== 'in_progress' ? d : undefined;
    }, timeoutMs, 200));
  }

  /**
   * A failed wait says what the world looked like: each control plane's process state and output tail, the
   * deployment's rows, each agent's output tail — so a failure in CI can be diagnosed from its log alone.
   */
  async explained<T>(api: Api, depId: string, wait: Promise<T>): Promise<T> {
    try {
      return await wait;
    } catch (err) {
      const rows = await api.ok('GET', `/deployments/${depId}`).then((d) => JSON.stringify(d.devices), (e: Error) => `(not readable: ${e.message})`);
      const cps = this.cps.map((c) => `--- ${c.describe()}, output tail ---\n${c.output().slice(-4000)}`).join('\n');
      const agents = [...this.agents.values()].map((a) => `--- agent ${a.id}, output tail ---\n${a.output().slice(-1500)}`).join('\n');
      throw new Error(`${(err as Error).message}\n--- deployment rows: ${rows}\n${cps}\n${agents}`, { cause: err });
    }
  }

  /** What the device runs, from its own disk. */
  runs(id: string): string | undefined {
    const s = JSON.parse(readFileSync(join(this.stateDir(id), 'state.json'), 'utf8')) as { active?: { sha256: string } };
    return s.active?.sha256;
  }

  /** The "nothing lost, nothing twice" assertions for a finished deployment. */
  async assertConsistent(api: Api, depId: string, art: Artifact, expected: 'active' | 'failed'): Promise<void> {
    const d = await api.ok('GET', `/deployments/${depId}`);
    for (const row of d.devices as Array<{ deviceId: string; state: string; report: unknown; error: string | null }>) {
      assert.equal(row.state, expected, `${row.deviceId}: ${row.error ?? ''}\n${this.agents.get(row.deviceId)?.output().slice(-3000)}`);
      // A row finished from the device's answer to a restarted control plane's state query (deployment-state.ts,
      // verdictFromDeviceState) can be finished before its report is committed: the agent flushes its outbox before
      // it answers (agent.ts), but the report's batch may commit after the verdict. The report must still be stored —
      // waited for, not assumed to be there at the finish.
      await waitFor(`${row.deviceId}: the report is stored (not lost)`, async () => {
        const now = await api.ok('GET', `/deployments/${depId}`);
        return (now.devices as Array<{ deviceId: string; report: unknown }>).some((r) => r.deviceId === row.deviceId && r.report) || undefined;
      }, 60_000); // and if that send was lost, the agent's resend backoff caps at 30 s (DEFAULT_RESEND)
      const device = await api.ok('GET', `/devices/${row.deviceId}`);
      const runs = this.runs(row.deviceId);
      if (expected === 'active') {
        assert.equal(runs, art.sha256, `${row.deviceId} runs the model`);
        assert.equal(device.activeArtifactId, art.id, `${row.deviceId}: the API says what the device runs`);
      } else {
        assert.notEqual(runs, art.sha256);
      }
      await waitFor(`${row.deviceId}'s outbox drained`, async () => readdirSync(join(this.stateDir(row.deviceId), 'outbox')).length === 0 || undefined, 40_000);
      const reports = await api.ok('GET', `/devices/${row.deviceId}/reports?limit=100`);
      assert.equal(reports.items.filter((r: { deploymentId: string }) => r.deploymentId === depId).length, 1, `${row.deviceId}: one report, not two`);
    }
  }

  /** Ends a case: its agents stop (they are done), and what a failed case left broken runs again for the next. */
  async endCase(ids: string[], restoreControlPlane = true): Promise<void> {
    await Promise.all(ids.map((id) => this.agents.get(id)?.stop('SIGKILL')));
    if (!this.pg.isUp) await this.pg.up();
    await this.mqtt.start();
    if (restoreControlPlane && !this.cp.running) await this.cp.up();
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop('SIGKILL')));
    for (const cp of this.cps) await cp.kill();
    await this.mqtt.kill();
    await this.pg.down();
    await run('umount', [this.stateDir('tiny')]).catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A model of about `mb` MB (one MatMul; `name` makes it another file): big enough to take a while to transfer. */
function modelOfMb(mb: number, name = 'big'): Uint8Array {
  const features = 256;
  const classes = Math.ceil((mb * 1024 * 1024) / 4 / features);
  const g = new GraphBuilder(name);
  const x = g.input('input', 'float32', ['batch', features]);
  const w = new Float32Array(features * classes);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  g.output(g.op('MatMul', [x, g.initializer('w', w, [features, classes])]), 'float32', ['batch', classes], 'logits');
  return g.toModel();
}

/** Blocks of a partial download on the agent's disk (its checkpoint's bitmap), or undefined when there is none. */
function partialBlocks(stateDir: string, sha256: string): { have: number; total: number } | undefined {
  const meta = join(stateDir, 'partial', `${sha256}.json`);
  if (!existsSync(meta)) return undefined;
  const m = JSON.parse(readFileSync(meta, 'utf8')) as { totalBlocks: number; bitmap: string };
  let have = 0;
  for (const byte of Buffer.from(m.bitmap, 'base64')) for (let b = byte; b; b &= b - 1) have++;
  return { have, total: m.totalBlocks };
}

/**
 * The common case: the case's agents come online, a deployment goes to them through `via`, the fault strikes once a
 * device of it is in one of `when`, and afterwards the deployment must succeed, checked through `check`. Returns the
 * recovery time.
 */
async function deployThrough(w: World, o: {
  ids: string[]; bench?: string[]; model: { model: Uint8Array; evalSet?: Uint8Array }; when: string[];
  fault: (depId: string) => Promise<void>; via?: CpProcess; check?: CpProcess;
}): Promise<number> {
  const via = o.via ?? w.cp;
  await w.agentsOnline((o.check ?? via).api, o.ids, o.bench);
  const { art, dep } = await w.deploy(via.api, o.ids, o.model.model, o.model.evalSet);
  await w.someDevice(via.api, dep.id, o.when);
  await o.fault(dep.id);
  return w.succeeds((o.check ?? via).api, dep.id, art);
}

/** A benchmark that lasts ≥ 2 s: a window to break things in. */
const SLOW_BENCH = ['--bench-min-ms', '2000', '--bench-max-ms', '3000'];
/** The model the transfer cases send: about 200 blocks of 64 KB. */
const TRANSFER_MB = 12;
/**
 * The model of the agent-killed-mid-download case. The agent checkpoints its block bitmap every 250 ms; with the
 * adaptive window a quiet machine moved 12 MB in less than that, so the first checkpoint already said "complete".
 * 64 MB takes several checkpoints even at 100 MB/s.
 */
const RESUME_MB = 64;
const table: string[] = [];
const row = (fault: string, recoveryMs: number, outcome: string) =>
  table.push(`${fault.padEnd(52)} | ${`${recoveryMs} ms`.padStart(9)} | ${outcome}`);

// The file's timeout is a ceiling for a hang (each case has its own 150 s): ~150 s quiet, 450+ s at load 25.
describe('fault table', { timeout: 1_000_000 }, () => {
  let skip: string | undefined;
  let w: World;
  before(async () => {
    skip = await missingTools();
    if (skip && CI) throw new Error(`fault tests need their tools under CI: ${skip}`);
    if (!skip) w = await World.start();
  });
  after(async () => {
    await w?.close();
    if (table.length > 0) console.log(`\n${'fault'.padEnd(52)} | recovery* | outcome\n${table.join('\n')}\n* from the end of the fault to the deployment's end`);
  });

  /** One row of the table: skipped with the reason when the tools are missing; the world is set right afterwards. */
  function faultCase(name: string, ids: string[], body: (t: TestContext, ids: string[]) => Promise<void>, o = { restoreControlPlane: true }): void {
    it(name, { timeout: 150_000 }, async (t) => {
      if (skip) return t.skip(skip);
      try {
        await body(t, ids);
      } finally {
        await w.endCase(ids, o.restoreControlPlane);
      }
    });
  }

  faultCase('database stopped and restarted mid-rollout', ['db-1', 'db-2'], async (_t, ids) => {
    const recovery = await deployThrough(w, {
      ids, bench: SLOW_BENCH, model: knownClassifier('db'), when: ['downloading', 'verifying', 'benchmarking'],
      fault: async (depId) => {
        await w.pg.down();
        await sleep(8000); // reports and progress arrive meanwhile: retried by the control plane, then by the agents
        assert.equal((await fetch(`${w.cp.httpUrl}/health`)).status, 503, 'readiness says the database is away');
        const meanwhile = await w.cp.api.call('GET', `/deployments/${depId}`);
        assert.equal(meanwhile.status, 503, `the API says "retry", not "internal error": ${JSON.stringify(meanwhile.body)}`);
        await w.pg.up();
      },
    });
    assert.equal((await fetch(`${w.cp.httpUrl}/health`)).status, 200, 'readiness recovered');
    row('database stopped 8 s mid-rollout', recovery, 'succeeded, 2/2 active, 1 report each');
  });

  faultCase('broker killed mid-transfer', ['br-1', 'br-2'], async (_t, ids) => {
    const recovery = await deployThrough(w, {
      ids, model: { model: modelOfMb(TRANSFER_MB, 'broker') }, when: ['downloading'],
      fault: async () => {
        await w.mqtt.kill(); // what it held (queued blocks, retained desired states) is lost, as in a crash
        await sleep(3000);
        await w.mqtt.start();
      },
    });
    row(`broker killed 3 s mid-transfer (${TRANSFER_MB} MB)`, recovery, 'succeeded, 2/2 active, 1 report each');
  });

  faultCase('control plane killed mid-download', ['cd-1', 'cd-2'], async (_t, ids) => {
    const recovery = await deployThrough(w, {
      ids, model: { model: modelOfMb(TRANSFER_MB, 'cpdownload') }, when: ['downloading'],
      fault: async () => {
        await w.cp.kill();
        await sleep(3000); // the agents' block requests go unanswered
        await w.cp.up();
      },
    });
    row('control plane killed mid-download', recovery, 'succeeded, 2/2 active, 1 report each');
  });

  faultCase('control plane killed mid-benchmark', ['cb-1', 'cb-2'], async (_t, ids) => {
    const recovery = await deployThrough(w, {
      ids, bench: SLOW_BENCH, model: knownClassifier('cpbench'), when: ['benchmarking'],
      fault: async () => {
        await w.cp.kill();
        await sleep(4000); // the agents finish benchmarking and report to a control plane that is not there
        await w.cp.up();
      },
    });
    row('control plane killed mid-benchmark', recovery, 'succeeded, 2/2 active, 1 report each');
  });

  faultCase('agent killed mid-download: the restarted agent resumes the transfer from its disk', ['ad-1'], async (_t, ids) => {
    await w.agentsOnline(w.cp.api, ids);
    const { art, dep } = await w.deploy(w.cp.api, ids, modelOfMb(RESUME_MB, 'agentdownload'));
    const dir = w.stateDir('ad-1');
    await waitFor('some blocks on the agent\'s disk', async () => (partialBlocks(dir, art.sha256)?.have ?? 0) > 0 || undefined, 60_000, 10);
    await w.agents.get('ad-1')!.stop('SIGKILL');
    const kept = partialBlocks(dir, art.sha256);
    assert.ok(kept && kept.have < kept.total, `killed mid-download: ${JSON.stringify(kept)}`);
    w.agent('ad-1');
    const recovery = await w.succeeds(w.cp.api, dep.id, art);
    row(`agent killed mid-download (${kept.have}/${kept.total} blocks kept)`, recovery, 'succeeded, 1/1 active, 1 report');
  });

  faultCase('agent killed mid-benchmark: it restarts with no model (never half of one) and reports once', ['ab-1'], async (_t, ids) => {
    await w.agentsOnline(w.cp.api, ids, SLOW_BENCH);
    const { model, evalSet } = knownClassifier('agentbench');
    const { art, dep } = await w.deploy(w.cp.api, ids, model, evalSet);
    await w.someDevice(w.cp.api, dep.id, ['benchmarking']);
    await w.agents.get('ab-1')!.stop('SIGKILL');
    assert.notEqual(w.runs('ab-1'), art.sha256, 'killed before activating: still the old model (none before)');
    w.agent('ab-1', SLOW_BENCH);
    const recovery = await w.succeeds(w.cp.api, dep.id, art);
    row('agent killed mid-benchmark', recovery, 'succeeded, 1/1 active, 1 report');
  });

  faultCase('agent killed mid-activation: after the crash it runs the old model or the new one, never neither', ['aa-1'], async (_t, ids) => {
    await w.agentsOnline(w.cp.api, ids);
    const v1 = knownClassifier('activation-v1');
    const first = await w.deploy(w.cp.api, ids, v1.model, v1.evalSet);
    assert.equal((await w.finished(w.cp.api, first.dep.id)).status, 'succeeded');
    // The activation writes the report to the outbox, switches state.json by one rename, then sends the report:
    // the agent is killed the moment the report reaches its disk, between the two.
    const outbox = join(w.stateDir('aa-1'), 'outbox');
    const agent = w.agents.get('aa-1')!;
    let second: { art: Artifact; dep: { id: string } };
    const watcher = watch(outbox, () => {
      const reports = readdirSync(outbox).filter((f) => f.endsWith('.json')).some((f) => {
        try { return JSON.parse(readFileSync(join(outbox, f), 'utf8')).kind === 'report'; } catch { return false; }
      });
      if (reports) agent.child.kill('SIGKILL');
    });
    try {
      const v2 = knownClassifier('activation-v2');
      second = await w.deploy(w.cp.api, ids, v2.model, v2.evalSet);
      await w.explained(w.cp.api, second.dep.id, waitFor('the agent killed with its report on disk', async () => agent.child.signalCode !== null || undefined, 60_000, 20));
    } finally {
      watcher.close(); // an open watcher would keep the test file from exiting
    }
    await agent.stop('SIGKILL');
    const after = w.runs('aa-1');
    assert.ok(after === first.art.sha256 || after === second.art.sha256, `runs the old or the new model, not ${after}`);
    assert.ok(existsSync(join(w.stateDir('aa-1'), 'objects', after!)), 'and has its file');
    w.agent('aa-1');
    const recovery = await w.succeeds(w.cp.api, second.dep.id, second.art);
    row(`agent killed mid-activation (then ran ${after === second.art.sha256 ? 'new' : 'old'})`, recovery, 'succeeded, 1/1 active, 1 report');
  });

  faultCase('disk full on the device: the pre-flight check fails the deployment cleanly with reason disk full', ['tiny'], async (t, ids) => {
    const dir = w.stateDir('tiny');
    mkdirSync(dir, { recursive: true });
    // A 6 MB disk (tmpfs: this test runs as root; without root it is skipped, not simulated).
    const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', dir]).then(() => true, () => false);
    if (!mounted) return t.skip('cannot mount a small tmpfs (needs root)');
    await w.agentsOnline(w.cp.api, ids);
    const { art, dep } = await w.deploy(w.cp.api, ids, modelOfMb(5, 'disk'));
    const t0 = Date.now();
    const done = await w.finished(w.cp.api, dep.id);
    const took = Date.now() - t0;
    assert.equal(done.status, 'failed');
    assert.match(done.devices[0].error ?? '', /disk full/, JSON.stringify(done.devices[0]));
    await w.assertConsistent(w.cp.api, dep.id, art, 'failed');
    row('disk full on the device (6 MB, 5 MB model)', took, `failed: ${String(done.devices[0].error).slice(0, 60)}`);
  });

  // Last: it leaves the first control plane dead.
  faultCase('two control planes on one database and broker, one killed mid-download: the other finishes the deployment', ['tc-1', 'tc-2'], async (_t, ids) => {
    const [a, b] = [w.cp, await w.addControlPlane()];
    const recovery = await deployThrough(w, {
      ids, model: { model: modelOfMb(TRANSFER_MB, 'twocp') }, when: ['downloading'], via: a, check: b, fault: () => a.kill(),
    });
    row('one of two control planes killed mid-download', recovery, 'succeeded through the other, 2/2 active, 1 report each');
  }, { restoreControlPlane: false });
});
