/** Small factories and helpers for the end-to-end tests (Immich-style: build data, don't load fixtures). */
import { ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { encodeEvalSet } from '@edgefleet/contracts';
import { GraphBuilder } from '@edgefleet/onnx';
import { HttpClient } from '@edgefleet/toolkit';

export const AGENT_MAIN = resolve(__dirname, '../../device-agent/dist/main.js');
export const CP_MAIN = resolve(__dirname, '../../apps/control-plane/dist/main.js');
export const CI = process.env.CI === 'true';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a value (not undefined/false); a throw counts as "not yet". On timeout the error says
 * what the LAST attempt saw — an error, or "not yet" — and, apart from that, when the last error was: one failed
 * request long before the deadline must not read as the reason a wait that then kept answering "not yet" failed.
 */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  let lastError: { err: unknown; at: number } | undefined;
  let lastFailed = false;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      lastFailed = false;
    } catch (err) {
      lastError = { err, at: Date.now() };
      lastFailed = true;
    }
    if (Date.now() > deadline) {
      const last = lastFailed ? `the last attempt failed: ${String(lastError!.err)}` : 'the last attempt answered "not yet"';
      const earlier = !lastFailed && lastError ? `; the last error was ${lastError.at - start} ms into the wait: ${String(lastError.err)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${last}${earlier}`);
    }
    await sleep(everyMs);
  }
}

/** True when something accepts TCP connections on host:port. */
export function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host, port });
    const done = (ok: boolean) => { s.destroy(); res(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Why a test of the shared PostgreSQL (127.0.0.1:5432) and Mosquitto (:1883) must skip, or undefined when both answer.
 * With CI=true a missing service is an error, not a skip.
 */
export async function sharedServicesMissing(): Promise<string | undefined> {
  const [pg, mq] = await Promise.all([reachable('127.0.0.1', 5432), reachable('127.0.0.1', 1883)]);
  if (pg && mq) return undefined;
  const why = `PostgreSQL ${pg ? 'up' : 'down'}, Mosquitto ${mq ? 'up' : 'down'}`;
  if (CI) throw new Error(`CI=true but ${why}`);
  return why;
}

/**
 * A 4-class classifier whose right answer is known: logits = x · W with W[i][c] = 1 when i % 4 == c, so a sample
 * whose features c and c+4 are hot belongs to class c. Its eval set therefore scores exactly 1.0.
 */
/** `name` goes into the graph: another name, another file (another sha256) with the same behaviour. */
export function knownClassifier(name = 'known'): { model: Uint8Array; evalSet: Buffer } {
  const features = 8;
  const classes = 4;
  const g = new GraphBuilder(name);
  const x = g.input('input', 'float32', ['batch', features]);
  const w = new Float32Array(features * classes);
  for (let i = 0; i < features; i++) w[i * classes + (i % classes)] = 1;
  const wName = g.initializer('w', w, [features, classes]);
  g.output(g.op('MatMul', [x, wName]), 'float32', ['batch', classes], 'logits');
  const n = 40;
  const xs = new Float32Array(n * features);
  const ys = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const c = s % classes;
    ys[s] = c;
    for (let i = 0; i < features; i++) xs[s * features + i] = i % classes === c ? 0.9 : ((s * 7 + i * 3) % 10) / 40;
  }
  return { model: g.toModel(), evalSet: encodeEvalSet({ inputName: 'input', sampleShape: [features], numClasses: classes, n, x: xs, y: ys }) };
}

export interface AgentProcess { id: string; child: ChildProcess; output: () => string; stop(signal?: NodeJS.Signals): Promise<void> }

/**
 * An enrollment token for the agents of a test (POST /api/v1/enrollment-tokens): the broker is closed, so an agent
 * enrolls with it (--enroll-token) the way the README shows. Devices enrolled with it get `tags`.
 */
export async function enrollmentToken(apiUrl: string, apiKey: string, tags: string[], maxUses = 50): Promise<string> {
  const res = await fetch(`${apiUrl}/enrollment-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tags, maxUses, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 201 || !body.token) throw new Error(`POST /enrollment-tokens → ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

export function startAgentProcess(opts: { brokerUrl: string; deviceId: string; profile: string; stateDir: string; tags?: string[]; trustKeyPath?: string; benchLock?: string; enroll?: { token: string; httpUrl: string }; password?: string; extraArgs?: string[] }): AgentProcess {
  const args = [AGENT_MAIN, '--broker', opts.brokerUrl, '--device-id', opts.deviceId, '--profile', opts.profile, '--state-dir', opts.stateDir,
    // A timed window of ≥ 400 ms (not capped at the default 5,000 runs, which tiny models finish in ~150 ms): a
    // neighbour's 50 ms burst then moves a p95 far less.
    '--bench-min-runs', '30', '--bench-min-ms', '400', '--bench-max-runs', '100000', '--log-level', 'info',
    // Each agent serves /v1/infer on a socket in its own state dir: the CLI's default TCP port would clash between
    // the several agents a test starts on one host.
    '--serve', `unix:${join(opts.stateDir, 'infer.sock')}`];
  if (opts.tags?.length) args.push('--tags', opts.tags.join(','));
  if (opts.trustKeyPath) args.push('--trust-key', opts.trustKeyPath);
  if (opts.benchLock) args.push('--bench-lock', opts.benchLock);
  if (opts.enroll) args.push('--enroll-token', opts.enroll.token, '--api-url', opts.enroll.httpUrl);
  if (opts.password) args.push('--password', opts.password);
  if (opts.extraArgs) args.push(...opts.extraArgs); // a later value of an option wins
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  return {
    id: opts.deviceId,
    child,
    output: () => out,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => new Promise<void>((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return res();
      child.once('exit', () => res());
      child.kill(signal);
    }),
  };
}

/** The admin API client (libs/toolkit); `call` is its `request` under the name these files use. */
export class Api extends HttpClient {
  call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.request(method, path, body, headers);
  }
}

export function modelForm(fields: { file: Uint8Array; name: string; version: string; evalSet?: Uint8Array; precision?: string }): FormData {
  const form = new FormData();
  form.set('file', new Blob([fields.file]), `${fields.name}.onnx`);
  form.set('name', fields.name);
  form.set('version', fields.version);
  if (fields.precision) form.set('precision', fields.precision);
  if (fields.evalSet) form.set('evalSet', new Blob([fields.evalSet]), 'eval.efev');
  return form;
}

/**
 * A control plane as a process (`node apps/control-plane/dist/main.js`, so it can be killed), on a fixed port so
 * agents find it again after a restart. `env` is its whole environment (PORT is set from `port`).
 */
export class CpProcess {
  private child: ChildProcess | undefined;
  private out = '';
  keyPath = '';
  constructor(readonly name: string, private readonly env: Record<string, string>, readonly port: number, private readonly adminKey: string) {}
  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get api(): Api {
    return new Api(`${this.httpUrl}/api/v1`, this.adminKey);
  }
  get running(): boolean {
    const c = this.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }
  output(): string {
    return this.out;
  }
  /** "running (pid 123)" or how it ended: seen from its API, a crash and a hang look alike. */
  describe(): string {
    const c = this.child;
    if (!c) return `${this.name}: never started`;
    return this.running ? `${this.name}: running (pid ${c.pid})` : `${this.name}: exited (code ${c.exitCode}, signal ${c.signalCode})`;
  }

  async up(): Promise<void> {
    const child = spawn(process.execPath, [CP_MAIN], { env: { ...this.env, PORT: String(this.port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => { this.out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { this.out += d.toString(); });
    const exited = new Promise<never>((_, reject) => child.once('exit', (code, signal) => {
      this.out += `\n[${this.name} pid ${child.pid} exited: code ${code}, signal ${signal}]\n`;
      reject(new Error(`${this.name} exited (code ${code}, signal ${signal}) while starting:\n${this.out.slice(-3000)}`));
    }));
    exited.catch(() => undefined); // observed below while starting; an exit later shows in describe() and the output
    await Promise.race([exited, waitFor(`${this.name} up`, async () => {
      const m = /signing key\s+(\S+)/.exec(this.out);
      return m ? (this.keyPath = m[1]!) : undefined;
    }, 60_000, 100)]);
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    await new Promise<void>((res) => { c.once('exit', () => res()); c.kill('SIGKILL'); });
  }
}
