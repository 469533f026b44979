#!/usr/bin/env node
/** CLI: `npm run fleet:sim -- --broker mqtt://… --devices 1000 --classes gateway:600,rpi4:300,tight:100 …` (USAGE below). */
import '../config/fleet-threadpool'; // first: before any asynchronous file operation
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, type CommandLine, type CommandSpec } from '@edgefleet/toolkit';
import { AgentConfigError } from '../lib/errors';
import { createLogger } from '../lib/logger';
import { startFleet, type FleetOptions } from './fleet';
import { parseClasses, parseFaults, scaleClasses, type ClassFaults } from './fleet-spec';

const SPEC: CommandSpec = {
  name: 'fleet:sim',
  invocation: 'npm run fleet:sim --',
  summary: 'Runs N simulated devices in one process, each the real agent with its own MQTT connection and identity, '
    + 'with one real benchmark per class and model (reported with each device\'s seeded noise). Runs until Ctrl-C.',
  options: {
    broker: { type: 'string', arg: '<url>', help: 'MQTT broker (required)' },
    devices: { type: 'string', arg: '<n>', help: 'devices in all, spread over --classes in proportion (default: the sum of the class counts)' },
    classes: { type: 'string', arg: '<preset:n,…>', help: 'device classes and their shares (default gateway:600,rpi4:300,tight:100)' },
    'fail-rate': { type: 'string', arg: '<p>', help: 'probability that a device of any class fails its gates (default 0)' },
    faults: { type: 'string', arg: '<class:kind=p,…>', help: 'per class faults: gate, crash (mid-download), offline (on a new desired state); class * = every class' },
    'enroll-token': { type: 'string', arg: '<token>', help: 'enroll every device with this token (needs --api-url and enough uses)' },
    'api-url': { type: 'string', arg: '<url>', help: "the control plane's HTTP API (enrollment, trusted keys)" },
    'trust-key': { type: 'string', arg: '<file>', help: 'PEM public key of the control plane to trust besides enrollment\'s' },
    'ca-file': { type: 'string', arg: '<file>', help: 'CA of an mqtts:// broker' },
    'data-dir': { type: 'string', arg: '<dir>', help: 'state dirs of the devices (default a dir under the OS temp dir)' },
    'id-prefix': { type: 'string', arg: '<prefix>', help: 'device ids are <prefix>-<class>-<n> (default sim)' },
    tags: { type: 'string', arg: '<a,b>', help: 'tags every device announces besides sim-<class>' },
    seed: { type: 'string', arg: '<n>', help: 'seeds the faults and the benchmark noise (default 1)' },
    noise: { type: 'string', arg: '<sigma>', help: 'log-normal σ of each device\'s latency noise (default 0.05)' },
    'start-concurrency': { type: 'string', arg: '<n>', help: 'devices enrolling/connecting at once (default 8)' },
    'log-level': { type: 'string', arg: 'debug|info|warn|error', help: 'the fleet\'s log (default info)' },
  },
  notes: ['Every ten seconds one line: devices connected, and reports per outcome.'],
};

async function main(cl: CommandLine): Promise<void> {
  cl.require('broker');
  const classSpec = parseClasses(cl.string('classes') ?? 'gateway:600,rpi4:300,tight:100');
  for (const p of classSpec.problems) cl.check(false, `--classes: ${p}`);
  const devices = cl.number('devices', { integer: true, min: 1, max: 100_000 });
  const classes = devices === undefined ? classSpec.classes : scaleClasses(classSpec.classes, devices);
  const faults = new Map<string, ClassFaults>();
  const failRate = cl.number('fail-rate', { min: 0, max: 1 });
  const faultSpec = parseFaults(`${failRate ? `*:gate=${failRate},` : ''}${cl.string('faults') ?? ''}`, classes.map((c) => c.name));
  for (const p of faultSpec.problems) cl.check(false, `--faults: ${p}`);
  for (const [k, v] of faultSpec.faults) faults.set(k, v);
  const enrollToken = cl.string('enroll-token');
  const apiUrl = cl.string('api-url');
  cl.check(!enrollToken || apiUrl !== undefined, '--enroll-token needs --api-url');
  const level = cl.oneOf('log-level', ['debug', 'info', 'warn', 'error'] as const) ?? 'info';
  const trustKey = cl.string('trust-key');
  const caFile = cl.string('ca-file');
  const opts: FleetOptions = {
    brokerUrl: cl.string('broker') ?? '',
    apiUrl, enrollToken, classes, faults,
    dataDir: cl.string('data-dir') ?? join(tmpdir(), `edgefleet-sim-${process.pid}`),
    idPrefix: cl.string('id-prefix'),
    tags: cl.list('tags', (t) => t || undefined, 'comma-separated tags'),
    seed: cl.number('seed', { integer: true, min: 0 }),
    noise: cl.number('noise', { min: 0, max: 2 }),
    startConcurrency: cl.number('start-concurrency', { integer: true, min: 1, max: 1000 }),
    logger: createLogger('fleet', level),
  };
  cl.done();
  if (trustKey) opts.trustedKeys = [await readFile(trustKey, 'utf8')];
  if (caFile) opts.caPem = await readFile(caFile, 'utf8');

  const log = opts.logger!;
  const fleet = await startFleet(opts);
  const tick = setInterval(() => {
    const counts = { activated: 0, rejected: 0, failed: 0 };
    for (const d of fleet.devices) {
      const last = d.reports.at(-1);
      if (last) counts[last.outcome]++;
    }
    log.info('fleet', { connected: fleet.devices.filter((d) => d.agent?.status().connected).length, of: fleet.devices.length, ...counts, measurements: fleet.benchmarks.measurements });
  }, 10_000);
  const shutdown = (signal: string) => {
    log.info('stopping', { signal });
    clearInterval(tick);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    fleet.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

runCommand(SPEC, process.argv.slice(2), main, (err) => err instanceof AgentConfigError);
