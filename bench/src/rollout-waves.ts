/**
 * `npm run bench -- rollout-waves [--devices 200] [--waves 1,10,50,100] [--rate <per min>] [--stage] [--setup embedded|postgres] [--classes …] [--json]`
 *
 * A real rollout — waves over a segment, judged per class between waves — to N simulated devices (the fleet
 * simulator, enrolled with a token), with the control plane as its own process (`bench rollout`'s helpers). It prints
 * each wave's devices and seconds (from the rollout's own decisions: the wave's start or advance to its advance or
 * completion), the time from POST /rollouts to `completed`, the control plane's CPU, and the driver's step cost from
 * /metrics (`edgefleet_rollout_step_seconds`: steps, mean and total time, share of the rollout's wall time).
 *
 * In the same run, the alternative: the same fleet, the same-sized model, one plain deployment to every device at once
 * (no waves, no judging) — the ratio says what the waves and their checks cost.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient, type CommandLine, type CommandSpec } from '@edgefleet/toolkit';
import { createTempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { parseClasses, scaleClasses, startFleet, type ClassShare } from '@edgefleet/device-agent';
import { startOwnMosquitto } from '@edgefleet/control-plane/dist/mqtt/testing/own-mosquitto';
import { ADMIN_KEY, benchModel, cpuSeconds, diff, pad, sleep, spawnControlPlane, stepMetrics, waitAllActive, waitOnline } from './rollout';

interface Options {
  devices: number;
  waves: number[];
  rate?: number;
  stage: boolean;
  setup: 'embedded' | 'postgres';
  classes: ClassShare[];
  modelKb: number;
  timeoutS: number;
  json: boolean;
}

interface WaveRow { wave: number; devices: number; seconds: number; devicesPerSec: number }

export const command: CommandSpec = {
  name: 'bench rollout-waves',
  invocation: 'npm run bench -- rollout-waves',
  summary: 'A rollout in waves to N simulated devices: per-wave timings, the driver\'s step cost, vs one plain deployment to the same fleet.',
  options: {
    devices: { type: 'string', arg: '<n>', help: 'fleet size (default 200)' },
    waves: { type: 'string', arg: '<%,…>', help: 'cumulative wave percentages (default 1,10,50,100)' },
    rate: { type: 'string', arg: '<per min>', help: 'devices notified per minute (default: no limit)' },
    stage: { type: 'boolean', help: 'stage mode: each wave stages first, then switches together' },
    setup: { type: 'string', arg: 'embedded|postgres', help: '(default embedded; postgres: run under the suite lock)' },
    classes: { type: 'string', arg: '<preset:n,…>', help: 'class shares (default gateway:600,rpi4:300,tight:100)' },
    'model-kb': { type: 'string', arg: '<KiB>', help: 'model size (default 256)' },
    'timeout-s': { type: 'string', arg: '<s>', help: 'give up after this long (default 600)' },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
  },
};

export async function run(cl: CommandLine): Promise<void> {
  const opts = readOptions(cl);
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-bench-waves-'));
  const cleanups: Array<() => Promise<unknown>> = [];
  const log = (s: string) => process.stderr.write(`${s}\n`);
  try {
    let env: Record<string, string> = {};
    if (opts.setup === 'postgres') {
      const db = await createTempPostgresDatabase();
      cleanups.unshift(() => db.drop());
      const mosq = await startOwnMosquitto(dir, [], { DATABASE_URL: db.url });
      cleanups.unshift(() => mosq.stop());
      env = { DATABASE_URL: db.url, ...mosq.env };
    }
    const cp = await spawnControlPlane(dir, { ...env, ROLLOUT_TICK_MS: '200' }, undefined);
    cleanups.unshift(() => cp.stop());
    const api = new HttpClient(`${cp.httpUrl}/api/v1`, ADMIN_KEY);
    const metrics = () => stepMetrics(cp.httpUrl);
    const tag = `waves-${randomBytes(3).toString('hex')}`;
    const token = (await api.ok('POST', '/enrollment-tokens', { tags: [tag], maxUses: opts.devices })).token as string;
    const upload = async (version: string) => {
      const form = new FormData();
      form.set('file', new Blob([benchModel(opts.modelKb, Number(version))]), 'bench.onnx');
      form.set('name', `waves-${tag}`);
      form.set('version', version);
      return (await api.ok('POST', '/models', form)).id as string;
    };
    const [rolled, direct] = [await upload('1'), await upload('2')];
    const fleet = await startFleet({ brokerUrl: cp.mqttUrl, apiUrl: cp.httpUrl, enrollToken: token, classes: scaleClasses(opts.classes, opts.devices), dataDir: join(dir, 'fleet'), idPrefix: tag });
    cleanups.unshift(() => fleet.stop());
    await waitOnline(api, tag, opts.devices, opts.timeoutS * 1000);
    log(`${opts.devices} devices online`);

    // The rollout: waves over a segment of the fleet's tag, no gates (every class activates), judged per class.
    const seg = await api.ok('POST', '/segments', { name: tag, selector: { tags: [tag] } });
    const cpu0 = cpuSeconds(cp.pid);
    const steps0 = await metrics();
    const t0 = Date.now();
    const created = await api.ok('POST', '/rollouts', {
      name: tag, what: { artifactId: rolled }, segmentId: seg.id, waves: opts.waves.map((percent) => ({ percent, success: { minPassPercent: 100 } })),
      ...(opts.rate ? { rate: { perMinute: opts.rate } } : {}), ...(opts.stage ? { stage: true } : {}),
    });
    let r: any;
    for (;;) {
      r = await api.ok('GET', `/rollouts/${created.id}`);
      if (['completed', 'paused', 'rolled_back', 'cancelled'].includes(r.state)) break;
      if (Date.now() - t0 > opts.timeoutS * 1000) throw new Error(`rollout ${created.id} still ${r.state} after ${opts.timeoutS} s: ${JSON.stringify(r.waves)}`);
      await sleep(250);
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = cpuSeconds(cp.pid) - cpu0;
    if (r.state !== 'completed') throw new Error(`rollout ended ${r.state}: ${r.decisions.map((d: any) => `${d.action}: ${d.reason}`).join(' | ')}`);
    const steps = diff(await metrics(), steps0);
    const waves = waveRows(r);
    log(`rollout completed in ${seconds.toFixed(1)} s`);

    // The alternative, same fleet and model size: one deployment to every device at once.
    const t1 = Date.now();
    const dep = await api.ok('POST', '/deployments', { artifactId: direct, tags: [tag] });
    await waitAllActive(api, dep.id as string, opts.devices, opts.timeoutS * 1000);
    const directSeconds = (Date.now() - t1) / 1000;

    const result = {
      bench: 'rollout-waves', setup: opts.setup === 'embedded' ? 'PGlite + embedded Aedes' : 'PostgreSQL + Mosquitto', devices: opts.devices,
      waves: opts.waves, rate: opts.rate ?? null, stage: opts.stage, modelKb: opts.modelKb,
      seconds, devicesPerSec: opts.devices / seconds, cpuSeconds: cpu, perWave: waves,
      driver: { steps: steps.count, meanMs: steps.count ? (1000 * steps.sum) / steps.count : 0, totalSeconds: steps.sum, shareOfWallTime: steps.sum / seconds },
      directSeconds, directDevicesPerSec: opts.devices / directSeconds, ratio: seconds / directSeconds, load: loadavg()[0]!,
    };
    if (opts.json) {
      console.log(JSON.stringify(result));
      return;
    }
    console.log(`rollout to ${opts.devices} devices in waves ${opts.waves.join(' / ')} %${opts.rate ? `, ${opts.rate}/min` : ''}${opts.stage ? ', stage mode' : ''}, model ${opts.modelKb} KiB, ${result.setup}`);
    console.log(pad('wave', 6) + pad('devices', 9) + pad('seconds', 9) + 'dev/s');
    for (const w of waves) console.log(pad(String(w.wave), 6) + pad(String(w.devices), 9) + pad(w.seconds.toFixed(1), 9) + w.devicesPerSec.toFixed(1));
    console.log(`rollout: ${seconds.toFixed(1)} s (${result.devicesPerSec.toFixed(1)} dev/s), control plane CPU ${cpu.toFixed(1)} s`);
    console.log(`driver: ${steps.count} steps, ${result.driver.meanMs.toFixed(1)} ms mean, ${steps.sum.toFixed(1)} s in all (${(100 * result.driver.shareOfWallTime).toFixed(1)} % of the wall time)`);
    console.log(`one plain deployment to the same ${opts.devices} devices: ${directSeconds.toFixed(1)} s → the waves take ${result.ratio.toFixed(2)}× (load ${result.load.toFixed(1)})`);
  } finally {
    for (const c of cleanups) await c().catch((err: unknown) => log(`cleanup: ${String(err)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each wave from the decisions: from its start (the `start`, or the previous wave's advance/approval) to its advance or completion. */
function waveRows(r: { decisions: Array<{ at: string; wave: number; action: string }>; devices: Array<{ wave: number }> }): WaveRow[] {
  const rows: WaveRow[] = [];
  let from = Date.parse(r.decisions.find((d) => d.action === 'start')!.at);
  for (const d of r.decisions) {
    if (d.action !== 'advance' && d.action !== 'complete' && d.action !== 'await-approval') continue;
    const at = Date.parse(d.at);
    const devices = r.devices.filter((x) => x.wave === d.wave).length;
    rows.push({ wave: d.wave, devices, seconds: (at - from) / 1000, devicesPerSec: devices / ((at - from) / 1000) });
    from = at;
  }
  return rows;
}

function readOptions(cl: CommandLine): Options {
  const classes = parseClasses(cl.string('classes') ?? 'gateway:600,rpi4:300,tight:100');
  for (const p of classes.problems) cl.check(false, `--classes: ${p}`);
  const waves = cl.list('waves', (s) => (/^\d+(\.\d+)?$/.test(s) && Number(s) > 0 && Number(s) <= 100 ? Number(s) : undefined), 'percentages in (0, 100], comma-separated') ?? [1, 10, 50, 100];
  const opts: Options = {
    devices: cl.number('devices', { integer: true, min: 1, max: 100_000 }) ?? 200,
    waves,
    rate: cl.number('rate', { integer: true, min: 1, max: 100_000 }),
    stage: cl.flag('stage'),
    setup: cl.oneOf('setup', ['embedded', 'postgres'] as const) ?? 'embedded',
    classes: classes.classes,
    modelKb: cl.number('model-kb', { integer: true, min: 1, max: 65536 }) ?? 256,
    timeoutS: cl.number('timeout-s', { above: 0 }) ?? 600,
    json: cl.flag('json'),
  };
  cl.done();
  return opts;
}
