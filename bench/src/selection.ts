/**
 * `npm run bench -- selection [--rounds 2] [--verbose] [--json]`
 *
 * p95 latency prediction error on real reports. Starts the control plane in-process (PGlite, embedded broker)
 * and one real device agent per simulated class (gateway, rpi4, tight, mcu-lite: docs/simulation.md), uploads
 * MLPs of several widths and depths (random weights: latency does not need trained ones), deploys each to each
 * device in turn (one benchmark at a time, so the two cores are not shared between agents), and reads the
 * reports back over REST. Then, with libs/selection, every (class, model) pair is held out in turn and predicted
 * from the rest:
 *   - model:  the fitted model (class line / fleet curve × learnt class factor), what recommendations use;
 *   - prior:  the class held out whole, so only cores × MHz × SIMD lanes and the other classes speak
 *             (what a brand-new kind of device gets), as the alternative.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Network, exportInferenceModel, mlp } from '@edgefleet/distill';
// The package's main is the CLI (dist/main.js); the in-process API is its index.
import { startAgent, silentLogger, type RunningAgent } from '@edgefleet/device-agent/dist/index';
import { startControlPlane } from '@edgefleet/control-plane';
import { countMacs } from '@edgefleet/onnx';
import { evaluateHoldout, evaluateMemoryHoldout, type ClassProfile, type Observation, type Variant } from '@edgefleet/selection';
import { HttpClient, type CommandLine, type CommandSpec } from '@edgefleet/toolkit';
import { measureTimeToActive, printTimeToActive, type TimeToActive } from './selection-time-to-active';

const CLASSES = ['gateway', 'rpi4', 'tight', 'mcu-lite'];
const HIDDEN = [[16], [64], [256], [1024], [512, 256], [1024, 1024]];
const REPORT_TIMEOUT_MS = 60_000;

interface Api {
  get(path: string): Promise<any>;
  post(path: string, body: unknown): Promise<any>;
  upload(fields: Record<string, string>, file: Uint8Array): Promise<any>;
}

function client(base: string, key: string): Api {
  const http = new HttpClient(base, key);
  return {
    get: (p) => http.ok('GET', p),
    post: (p, b) => http.ok('POST', p, b),
    upload: (fields, file) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      form.set('file', new Blob([file]), 'model.onnx');
      return http.ok('POST', '/api/v1/models', form);
    },
  };
}

export const command: CommandSpec = {
  name: 'bench selection',
  invocation: 'npm run bench -- selection',
  summary: 'p95 latency prediction error on real reports from real agents: the fitted model vs the hardware prior.',
  options: {
    rounds: { type: 'string', arg: '<n>', help: 'deploy rounds per (class, model) pair (default 2)' },
    verbose: { type: 'boolean', help: 'print every pair' },
    'no-time': { type: 'boolean', help: 'skip the time-to-active measurement' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
};

export async function run(cl: CommandLine): Promise<void> {
  const o = { rounds: cl.number('rounds', { integer: true, min: 1 }), verbose: cl.flag('verbose'), noTime: cl.flag('no-time'), json: cl.flag('json') };
  cl.done();
  const rounds = o.rounds ?? 2;
  const t0 = Date.now();
  const dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-bench-selection-'));
  const cp = await startControlPlane({ PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'error', DATA_DIR: dataDir });
  const agents: RunningAgent[] = [];
  try {
    const api = client(cp.httpUrl, cp.adminApiKey!);
    for (const preset of CLASSES) {
      const agent = await startAgent({
        brokerUrl: cp.mqttUrl, deviceId: `bench-${preset}`, profile: preset, stateDir: join(dataDir, `agent-${preset}`),
        trustedKeys: [cp.signingPublicKeyPem], logger: silentLogger,
        benchmark: { warmupRuns: 5, minRuns: 40, minTimeMs: 300, maxTimeMs: 2000 },
      });
      agents.push(agent);
      await agent.ready;
    }
    await waitFor(async () => (await api.get('/api/v1/devices?limit=50')).total === CLASSES.length, 10_000, 'agents to register');

    const variants: Variant[] = [];
    for (const hidden of HIDDEN) {
      const net = new Network(mlp([784, ...hidden, 10]), [784]);
      const bytes = exportInferenceModel(net, net.initParams(1));
      const up = await api.upload({ name: net.name, version: '1.0.0', precision: 'fp32', family: 'bench' }, bytes);
      variants.push({ id: up.id, name: net.name, precision: 'fp32', family: 'bench', macs: countMacs(bytes).macs, params: net.paramCount, sizeBytes: bytes.length });
    }

    for (let round = 0; round < rounds; round++) {
      for (const v of variants) {
        for (const agent of agents) {
          const dep = await api.post('/api/v1/deployments', { artifactId: v.id, deviceIds: [agent.deviceId] });
          await agent.waitForReport((r) => r.deploymentId === dep.id, REPORT_TIMEOUT_MS);
        }
      }
    }

    // What the control plane stored, as selection will read it.
    const classes: ClassProfile[] = [];
    const obs: Observation[] = [];
    for (const agent of agents) {
      const device = await api.get(`/api/v1/devices/${agent.deviceId}`);
      classes.push({ profileClass: device.profileClass, ...device.profile });
      await waitFor(async () => (await api.get(`/api/v1/devices/${agent.deviceId}/reports?limit=1`)).total >= variants.length * rounds, 10_000, 'reports to be stored');
      const reports = (await api.get(`/api/v1/devices/${agent.deviceId}/reports?limit=500`)).items;
      for (const r of reports) {
        if (r.latencyP95Ms == null) continue;
        obs.push({ profileClass: device.profileClass, variantId: r.artifactId, latencyP95Ms: r.latencyP95Ms, modelMemoryMb: r.modelMemoryMb ?? undefined, simulated: r.simulated });
      }
    }

    if (o.verbose) {
      for (const c of classes) {
        const mine = obs.filter((x) => x.profileClass === c.profileClass);
        console.log(`${c.name}: ${variants.map((v) => `${v.name}=${mine.filter((x) => x.variantId === v.id).map((x) => x.latencyP95Ms.toFixed(3)).join('/')}`).join('  ')}`);
      }
    }
    const pair = evaluateHoldout(obs, variants, classes, 'pair');
    const fresh = evaluateHoldout(obs, variants, classes, 'variant');
    const cls = evaluateHoldout(obs, variants, classes, 'class');
    const memory = evaluateMemoryHoldout(obs, variants);
    const seconds = (Date.now() - t0) / 1000;
    // The agents above are idle from here on; stopped so the second scenario has the cores to itself.
    for (const a of agents.splice(0)) await a.stop();
    const timeToActive: TimeToActive | undefined = o.noTime ? undefined : await measureTimeToActive(join(dataDir, 'time-to-active'));
    const rows = classes.map((c) => {
      const p = pair.perClass.find((e) => e.profileClass === c.profileClass);
      const q = cls.perClass.find((e) => e.profileClass === c.profileClass);
      const n = fresh.perClass.find((e) => e.profileClass === c.profileClass);
      const slowdown = agents.find((a) => a.profile.name === c.name)?.slowdown.factor;
      return { class: c.name, slowdown, pairs: p?.pairs ?? 0, modelMape: p?.mape, modelMaxApe: p?.maxApe, newVariantMape: n?.mape, priorMape: q?.mape, sources: p?.sources };
    });
    if (o.json) {
      console.log(JSON.stringify({ reports: obs.length, variants: variants.length, rounds, seconds, rows, overall: { model: pair.overall, newVariant: fresh.overall, prior: cls.overall }, memory, timeToActive }, null, 2));
      return;
    }
    console.log(`selection: ${obs.length} real reports (${classes.length} classes × ${variants.length} MLPs × ${rounds} round(s)), ${seconds.toFixed(0)} s`);
    console.log(`models: ${variants.map((v) => `${v.name} (${(v.macs / 1e3).toFixed(0)}k MACs)`).join(', ')}`);
    console.log('p95 prediction error on held-out reports (mean abs % error against the held-out median):');
    console.log('  model      = (class, model) held out: class factor × the model\'s cost on other classes');
    console.log('  new model  = model held out on every class: its MACs only (a fresh upload, a student being sized)');
    console.log('  prior only = class held out: cores × MHz × SIMD lanes and the other classes (a new kind of device)');
    console.log('class      slowdown  pairs  model MAPE  model max  new model MAPE  prior-only MAPE  prior/model  sources');
    for (const r of rows) {
      console.log(`${(r.class ?? '?').padEnd(10)} ${String(r.slowdown ?? '').padStart(8)}  ${String(r.pairs).padStart(5)}  ${pct(r.modelMape).padStart(10)}  ${pct(r.modelMaxApe).padStart(9)}  ${pct(r.newVariantMape).padStart(14)}  ${pct(r.priorMape).padStart(15)}  ${ratio(r.priorMape, r.modelMape).padStart(11)}  ${JSON.stringify(r.sources)}`);
    }
    const rss = variants.map((v) => `${v.name}=${obs.filter((x) => x.variantId === v.id && x.modelMemoryMb !== undefined).map((x) => x.modelMemoryMb!.toFixed(1)).join('/')}`);
    console.log(`peak RSS of the benchmark process per model (MB): ${rss.join('  ')}`);
    console.log(`memory (each model held out, predicted from its size): MAPE ${pct(memory.mape)}, max ${pct(memory.maxApe)} over ${memory.variants} models`);
    console.log(`${'all'.padEnd(10)} ${''.padStart(8)}  ${String(pair.overall.pairs).padStart(5)}  ${pct(pair.overall.mape).padStart(10)}  ${pct(pair.overall.maxApe).padStart(9)}  ${pct(fresh.overall.mape).padStart(14)}  ${pct(cls.overall.mape).padStart(15)}  ${ratio(cls.overall.mape, pair.overall.mape).padStart(11)}`);
    if (timeToActive) printTimeToActive(timeToActive);
  } finally {
    for (const a of agents) await a.stop();
    await cp.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(1)}%`);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !(b > 0) ? '-' : `${(a / b).toFixed(1)}×`);

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
