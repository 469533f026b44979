import { ChildProcess, execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../../broker/mosquitto-config.cli.js');

/** A Mosquitto this test owns: its own port and the configuration `npm run broker:mosquitto-config` generates. */
export interface OwnMosquitto {
  url: string;
  /** MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD, MQTT_DYNSEC from the generated control-plane.env. */
  env: Record<string, string>;
  log: () => string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash: what it held in memory (queued QoS 1 messages, retained ones) is gone. */
  kill(): Promise<void>;
  /**
   * Starts it again after stop() or kill(), on the same port with the same files (its dynamic-security.json keeps
   * every account added since); a no-op while it runs.
   */
  start(): Promise<void>;
}

export async function mosquittoAvailable(): Promise<boolean> {
  try {
    await run('mosquitto', ['-h']).catch((e: { stdout?: string }) => { if (!e.stdout?.includes('mosquitto')) throw e; });
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/**
 * Runs the generator against the database in `dataDir` (or `generatorEnv.DATABASE_URL`), then starts Mosquitto with what it
 * wrote.
 */
export async function startOwnMosquitto(dataDir: string, extraArgs: string[] = [], generatorEnv: Record<string, string> = {}): Promise<OwnMosquitto> {
  const port = await freePort();
  const out = join(dataDir, 'mosquitto');
  const args = [CLI, '--out', out, '--port', String(port), ...extraArgs];
  // Started by root, Mosquitto would switch to the `mosquitto` user, which cannot read our temp files.
  if (process.getuid?.() === 0) args.push('--user', 'root');
  await run(process.execPath, args, { env: { PATH: process.env['PATH'], DATA_DIR: dataDir, LOG_LEVEL: 'error', ...generatorEnv } });
  const env = Object.fromEntries((await readFile(join(out, 'control-plane.env'), 'utf8')).trim().split('\n').map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)];
  }));
  let child: ChildProcess | undefined;
  let log = '';
  const launch = async (): Promise<void> => {
    const c = spawn('mosquitto', ['-c', join(out, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (c.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const end = (signal: NodeJS.Signals) => new Promise<void>((res) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return res();
    c.once('exit', () => res());
    c.kill(signal);
  });
  await launch();
  return {
    url: env['MQTT_URL']!,
    env,
    log: () => log,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    start: async () => {
      if (child && child.exitCode === null && child.signalCode === null) return;
      await launch();
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
}
