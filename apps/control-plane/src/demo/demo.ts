/**
 * `npm run demo`: the whole product on one machine. Starts the control plane on free ports (embedded PGlite and
 * Aedes), starts device agents as separate processes with different hardware profiles, trains and uploads a
 * small classifier with its eval set, deploys it and prints what each device measured. Then every agent that
 * activated the model serves inferences to a load generator (`agent:load` over the agent's Unix socket, samples of
 * the eval set, `--load-rate` per second) and sends telemetry every 5 s, so the dashboard's charts have data.
 *
 * It ends by printing the dashboard's URL and a viewer key to log in with; `--keep` keeps it all up (and the load
 * running).
 *
 * With `--text` the model is a text student made through the REST API instead (demo-text.ts): a UDHR text data set
 * uploaded, a distillation job with fastText's language identifier as the teacher, the published int8 student
 * deployed; the agents featurize the efev-text eval set with the manifest's featurizer, benchmark and activate it.
 *
 *   npm run demo [-- --keep] [--text] [--agents 3] [--load-rate 20] [--data-dir DIR] [--timeout S]   (--help lists them)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CommandLine, CommandSpec, HttpClient, runCommand } from '@edgefleet/toolkit';
import { startControlPlane } from '../bootstrap';
import { DemoRow, renderTable } from './demo-table';
import { trainDemoModel } from './demo-model';
import { distillTextOverRest } from './demo-text';

const PROFILES = ['gateway', 'rpi4', 'tight', 'mcu-lite'];
const AGENT_MAIN = resolve(__dirname, '../../../../device-agent/dist/main.js');
const AGENT_LOAD = resolve(__dirname, '../../../../device-agent/dist/load.js');
/** The demo's agents close a telemetry window every 5 s (the agent's default is 60 s), so charts fill while you watch. */
const DEMO_TELEMETRY_WINDOW_S = 5;

interface Args { keep: boolean; text: boolean; agents: number; loadRate: number; dataDir?: string; timeoutSec: number }

const COMMAND: CommandSpec = {
  name: 'demo',
  invocation: 'npm run demo --',
  summary: 'The whole product on one machine: control plane, device agents as processes, a trained model deployed to them.',
  options: {
    keep: { type: 'boolean', help: 'keep everything running after the table (Ctrl-C to stop)' },
    text: { type: 'boolean', help: 'a text student instead: UDHR data set uploaded, distilled by a REST job from fastText\'s language identifier, deployed' },
    agents: { type: 'string', arg: '<n>', help: 'device agents, 1..20 (default 3)' },
    'load-rate': { type: 'string', arg: '<per s>', help: 'inferences per second each agent serves after the deployment (default 20; 0 = none)' },
    'data-dir': { type: 'string', arg: '<dir>', help: 'keep the data here (default: a temporary folder, removed at the end)' },
    timeout: { type: 'string', arg: '<s>', help: 'seconds to wait for the deployment (default 180)' },
  },
};

function readArgs(cl: CommandLine): Args {
  const dataDir = cl.string('data-dir');
  const args: Args = {
    keep: cl.flag('keep'),
    text: cl.flag('text'),
    agents: cl.number('agents', { integer: true, min: 1, max: 20 }) ?? 3,
    loadRate: cl.number('load-rate', { min: 0, max: 1000 }) ?? 20,
    dataDir: dataDir === undefined ? undefined : resolve(dataDir),
    timeoutSec: cl.number('timeout', { above: 0 }) ?? 180,
  };
  cl.done();
  return args;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(cl: CommandLine): Promise<void> {
  const args = readArgs(cl);
  const started = Date.now();
  // The text demo's steps take a while on a loaded machine: its lines say when they happened.
  const log = (line: string) => console.log(args.text ? `[demo +${Math.round((Date.now() - started) / 1000)}s] ${line}` : `[demo] ${line}`);
  const dataDir = args.dataDir ?? mkdtempSync(join(tmpdir(), 'edgefleet-demo-'));
  await mkdir(dataDir, { recursive: true });

  // Images: trained here and uploaded; text: distilled by the control plane's own worker once it is up.
  const model = args.text ? undefined : await trainDemoModel(log);
  if (model) {
    log(`trained in ${model.trainSeconds.toFixed(1)} s: teacher ${model.teacherAccuracy.toFixed(4)}, student ${model.name} ${model.studentAccuracy.toFixed(4)} (fp32)` +
      (model.int8Accuracy !== undefined ? `, ${model.int8Accuracy.toFixed(4)} (int8)` : ''));
  }

  const cp = await startControlPlane({ ...process.env, DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', MQTT_URL: undefined, DATABASE_URL: undefined, ADMIN_API_KEY: undefined, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, { shutdownHooks: false });
  const key = cp.adminApiKey;
  if (!key) throw new Error('no admin key');
  const api = new HttpClient(cp.apiUrl, key);
  log(`control plane: ${cp.apiUrl} (docs ${cp.docsUrl}), MQTT ${cp.mqttUrl}, database ${cp.database.describe}`);

  const agents: ChildProcess[] = [];
  const socketOf = (id: string) => join(dataDir, 'agents', id, 'infer.sock');
  const devices = Array.from({ length: args.agents }, (_, i) => ({ id: `demo-${PROFILES[i % PROFILES.length]}-${i + 1}`, profile: PROFILES[i % PROFILES.length]! }));
  let exitCode = 1;
  const loads: ChildProcess[] = [];
  const shutdown = async () => {
    for (const l of loads) l.kill('SIGTERM');
    for (const a of agents) a.kill('SIGTERM');
    await Promise.all(agents.map((a) => (a.exitCode !== null ? undefined : new Promise((r) => a.once('exit', r)))));
    await cp.close();
    if (!args.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // The fleet is closed: the agents enroll with a token (tag `demo`, one use each), as `npm run agent` does.
    const enrollment = await api.ok<{ token: string }>('POST', '/enrollment-tokens',
      { maxUses: devices.length, tags: ['demo'], expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    log(`enrollment token ${enrollment.token.slice(0, 10)}… (${devices.length} uses, tag demo)`);
    for (const d of devices) {
      const logFile = join(dataDir, `agent-${d.id}.log`);
      const out = createWriteStream(logFile);
      const child = spawn(process.execPath, [AGENT_MAIN, '--broker', cp.mqttUrl, '--device-id', d.id, '--profile', d.profile,
        '--state-dir', join(dataDir, 'agents', d.id), '--enroll-token', enrollment.token, '--api-url', cp.httpUrl,
        // one inference socket per agent (the default TCP port is for one agent per device)
        '--serve', `unix:${socketOf(d.id)}`, '--telemetry-window-s', String(DEMO_TELEMETRY_WINDOW_S)], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.pipe(out);
      child.stderr!.pipe(out);
      agents.push(child);
      log(`agent ${d.id} (profile ${d.profile}) started as pid ${child.pid}, log ${logFile}`);
    }

    let artifact: { id: string; sha256: string; sizeBytes: number };
    let loadArgs: string[];
    if (model) {
      // Upload the student (int8 when the quantizer produced it) with its eval set.
      const form = new FormData();
      const precision = model.int8 ? 'int8' : 'fp32';
      form.set('file', new Blob([model.int8 ?? model.fp32]), `${model.name}.onnx`);
      form.set('name', model.name);
      form.set('version', '1');
      form.set('precision', precision);
      form.set('evalSet', new Blob([model.evalSet]), 'eval.efev');
      artifact = await api.ok<{ id: string; sha256: string; sizeBytes: number }>('POST', '/models', form);
      log(`uploaded ${model.name} (${precision}, ${artifact.sizeBytes} bytes, sha256 ${artifact.sha256.slice(0, 12)})`);
      const evalFile = join(dataDir, 'demo-eval.efev');
      writeFileSync(evalFile, model.evalSet);
      loadArgs = ['--eval-set', evalFile];
    } else {
      const text = await distillTextOverRest(api, log, args.timeoutSec * 1000);
      log(`text student ready in ${text.seconds.toFixed(1)} s (upload, teacher labelling, training, quantization, publishing)`);
      artifact = text.artifact;
      const textFile = join(dataDir, 'demo-texts.txt');
      writeFileSync(textFile, text.texts.map((t) => t.replace(/\s+/g, ' ')).join('\n') + '\n');
      loadArgs = ['--text-file', textFile];
    }

    const deadline = Date.now() + args.timeoutSec * 1000;
    for (;;) {
      const page = await api.ok<{ items: Array<{ id: string; status: string }> }>('GET', '/devices?tag=demo&limit=100');
      const online = page.items.filter((d) => d.status === 'online').length;
      if (online >= devices.length) break;
      if (Date.now() > deadline) throw new Error(`only ${online}/${devices.length} agents came online; see their logs in ${dataDir}`);
      await sleep(200);
    }
    log(`${devices.length} devices online; deploying`);

    const gates = { maxLatencyP95Ms: 50, minAccuracy: 0.6 };
    const dep = await api.ok<{ id: string }>('POST', '/deployments', { artifactId: artifact.id, tags: ['demo'], gates });
    type Detail = { status: string; devices: Array<{ deviceId: string; state: string; error: string | null; report: null | { latencyP50Ms: number | null; latencyP95Ms: number | null; latencyP99Ms: number | null; accuracy: number | null; peakRssMb: number | null; simulated: boolean } }> };
    let detail: Detail;
    for (;;) {
      detail = await api.ok<Detail>('GET', `/deployments/${dep.id}`);
      if (detail.devices.every((d) => d.report !== null || d.state === 'failed')) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for reports: ${detail.devices.map((d) => `${d.deviceId}=${d.state}`).join(', ')}`);
      await sleep(300);
    }
    const rows: DemoRow[] = detail.devices.map((d) => ({
      device: d.deviceId,
      profile: devices.find((x) => x.id === d.deviceId)?.profile ?? '?',
      sha256: artifact.sha256,
      p50Ms: d.report?.latencyP50Ms ?? undefined,
      p95Ms: d.report?.latencyP95Ms ?? undefined,
      p99Ms: d.report?.latencyP99Ms ?? undefined,
      accuracy: d.report?.accuracy ?? undefined,
      peakRssMb: d.report?.peakRssMb ?? undefined,
      simulated: d.report?.simulated,
      state: d.state + (d.error ? ` (${d.error})` : ''),
    }));
    console.log(`\ndeployment ${dep.id}: ${detail.status}; gates p95 ≤ ${gates.maxLatencyP95Ms} ms, accuracy ≥ ${gates.minAccuracy}\n`);
    console.log(renderTable(rows));
    console.log('');

    // Live telemetry: the agents that run the model serve the eval set's samples to a load generator.
    const serving = detail.devices.filter((d) => d.state === 'active');
    if (args.loadRate > 0 && serving.length > 0) {
      for (const d of serving) {
        const out = createWriteStream(join(dataDir, `load-${d.deviceId}.log`));
        const child = spawn(process.execPath, [AGENT_LOAD, '--url', `unix:${socketOf(d.deviceId)}`, '--rate', String(args.loadRate),
          '--duration', String(args.keep ? 7 * 86_400 : 3_600), ...loadArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout!.pipe(out);
        child.stderr!.pipe(out);
        loads.push(child);
      }
      log(`load: ${args.loadRate} inferences/s on each of ${serving.length} agents (agent:load over their Unix sockets, ${model ? 'eval-set samples' : 'held-out texts'}); telemetry every ${DEMO_TELEMETRY_WINDOW_S} s`);
      const inferences = await waitForTelemetry(api, Date.now() + (DEMO_TELEMETRY_WINDOW_S * 4 + 10) * 1000);
      log(inferences > 0 ? `telemetry: ${inferences} inferences stored so far` : 'telemetry: none stored yet (see the load-*.log files)');
    }
    // A read-only key for the dashboard: a viewer sees every page and can change nothing.
    const viewer = await api.ok<{ key: string }>('POST', '/api-keys', { name: 'demo dashboard (read only)', role: 'viewer' });
    console.log(`dashboard: ${cp.uiUrl}  (log in with the viewer key ${viewer.key})${args.keep ? '' : '; run with --keep to keep it up'}\n`);
    exitCode = 0;
    if (args.keep) {
      log(`--keep: still running. API ${cp.apiUrl} (Authorization: Bearer ${key}), docs ${cp.docsUrl}, MQTT ${cp.mqttUrl}, data ${dataDir}. Ctrl-C to stop.`);
      await new Promise<void>((r) => { process.once('SIGINT', r); process.once('SIGTERM', r); });
    }
  } finally {
    await shutdown();
  }
  process.exitCode = exitCode;
}

/** Inferences in the stored telemetry of the last 10 minutes, once there are any (0 when `until` passes first). */
async function waitForTelemetry(api: HttpClient, until: number): Promise<number> {
  for (;;) {
    const to = new Date(Date.now() + 60_000);
    const q = new URLSearchParams({ from: new Date(to.getTime() - 600_000).toISOString(), to: to.toISOString(), resolution: 'raw' });
    const series = await api.ok<{ points: Array<{ inferences: number }> }>('GET', `/telemetry/series?${q}`);
    const n = series.points.reduce((a, p) => a + p.inferences, 0);
    if (n > 0 || Date.now() > until) return n;
    await sleep(1000);
  }
}

// Every failure is reported in one line, as `demo: <reason>`.
runCommand(COMMAND, process.argv.slice(2), main, () => true);
