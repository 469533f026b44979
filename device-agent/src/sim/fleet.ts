import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { PublicKeyRef, ReportMessage } from '@edgefleet/contracts';
import { Prng } from '@edgefleet/toolkit';
import { startAgent, type RunningAgent } from '../agent';
import type { BenchmarkBudget } from '../config/agent-options';
import { describeDevice, type DeviceHardware } from '../hardware/device-hardware';
import { CredentialStore } from '../identity/credential-store';
import { setDurableWrites } from '../lib/atomic-file';
import { describeError } from '../lib/errors';
import { silentLogger, type Logger } from '../lib/logger';
import { NO_FAULTS, type ClassFaults, type ClassShare } from './fleet-spec';
import { ClassBenchmarks, seedOf, type BenchmarkRunner } from './simulated-benchmark';

export interface FleetOptions {
  brokerUrl: string;
  /** The control plane's HTTP API: enrollment and trusted keys. */
  apiUrl?: string;
  /** Every device enrolls with this token (it needs enough uses for the fleet). */
  enrollToken?: string;
  /** Or: the MQTT login of a device created over REST, asked once per device before it first starts. */
  credentials?: (deviceId: string, className: string) => Promise<{ username?: string; password: string }>;
  /** Keys pinned besides those enrollment returns (the control plane's signing key). */
  trustedKeys?: Array<string | PublicKeyRef>;
  classes: readonly ClassShare[];
  faults?: ReadonlyMap<string, ClassFaults>;
  /** Seeds the faults each device draws and its benchmark noise (default 1). */
  seed?: number;
  /** σ of the log-normal noise on each device's latencies (default 0.05). */
  noise?: number;
  /** Each device's state dir is `<dataDir>/<deviceId>`. */
  dataDir: string;
  /** Device ids are `<idPrefix>-<class>-<n>` (default `sim`). */
  idPrefix?: string;
  /** Tags every device announces besides `sim-<class>`. */
  tags?: string[];
  /** The budget of the one real measurement per class and model (default: a short one). */
  benchmark?: Partial<BenchmarkBudget>;
  /** Devices starting (enrolling, connecting) at once (default 8: enrollment and login each cost the control plane a scrypt). */
  startConcurrency?: number;
  /** A crashed device comes back after this long (default 1000 ms). */
  restartMs?: number;
  /** An offline device comes back after this long (default 5000 ms). */
  offlineMs?: number;
  caPem?: string;
  /** The fleet's own log (devices log nothing: a thousand agents' lines would drown everything). */
  logger?: Logger;
  /** The real measurement (default the agent's isolated onnxruntime benchmark); tests may count calls. */
  measure?: BenchmarkRunner;
  /**
   * fsync the devices' files (default false: setDurableWrites(false) for this process, see lib/atomic-file.ts —
   * the simulated devices share one disk, and a simulated crash stops an agent, not the host).
   */
  durable?: boolean;
}

/** One simulated device: its class, the faults it drew, and what it reported. */
export interface SimDevice {
  readonly deviceId: string;
  readonly className: string;
  readonly faults: { gate: boolean; crash: boolean; offline: boolean };
  readonly reports: ReportMessage[];
  /** Times it was stopped by an injected crash or outage. */
  crashes: number;
  outages: number;
  /** The state of its latest progress message (`downloading`, `verifying` …), for diagnostics. */
  lastProgress?: string;
  /** The agent now running (undefined while crashed or offline). */
  agent: RunningAgent | undefined;
}

interface FleetEvents {
  report: [SimDevice, ReportMessage];
}

export interface Fleet {
  readonly devices: readonly SimDevice[];
  readonly benchmarks: ClassBenchmarks;
  readonly events: EventEmitter<FleetEvents>;
  /** Devices whose latest report for `deploymentId` has each outcome. */
  outcomes(deploymentId: string): Record<ReportMessage['outcome'], number>;
  /** The MQTT login the device enrolled with (from its state dir), for tools that speak as it. */
  login(d: SimDevice): Promise<{ username: string; password: string } | undefined>;
  /** Resolves once `done()` holds (checked on every report and every 250 ms); rejects after `timeoutMs`. */
  waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void>;
  stop(): Promise<void>;
}

const STOP_WAIT_MS = 10_000;
const SIM_BUDGET: Partial<BenchmarkBudget> = { warmupRuns: 5, minRuns: 30, minTimeMs: 200, maxRuns: 2000, maxTimeMs: 2000 };

/**
 * Starts a fleet of simulated devices in this process. Each is the real agent (startAgent: its own MQTT connection,
 * identity, state dir, desired-state checks, block transfer, verification, state machine and reports) with two
 * things replaced: its hardware is its class's preset, resolved once per class, and its benchmark is the class's
 * one real measurement with the device's own noise (ClassBenchmarks). It does not load its active model into an
 * inference session (serveActiveModel: false — nobody sends it requests) and does not fsync (`durable`). Faults are
 * drawn per device from the seed.
 * Resolves when every device has connected and said hello.
 */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const log = o.logger ?? silentLogger;
  setDurableWrites(o.durable ?? false);
  const seed = o.seed ?? 1;
  const benchmarks = new ClassBenchmarks({ seed, noise: o.noise ?? 0.05, measure: o.measure });
  const events = new EventEmitter<FleetEvents>();
  const hardware = new Map<string, DeviceHardware>();
  for (const c of o.classes) hardware.set(c.name, await describeDevice(c.name));
  const prefix = o.idPrefix ?? 'sim';
  let stopping = false;
  const timers = new Set<NodeJS.Timeout>();

  const devices: SimDevice[] = [];
  for (const c of o.classes) {
    const f = o.faults?.get(c.name) ?? NO_FAULTS;
    for (let i = 0; i < c.count; i++) {
      const deviceId = `${prefix}-${c.name}-${i}`;
      const draw = new Prng(seedOf(seed + 1, deviceId));
      devices.push({
        deviceId, className: c.name, reports: [], crashes: 0, outages: 0, agent: undefined,
        faults: { gate: draw.next() < f.gate, crash: draw.next() < f.crash, offline: draw.next() < f.offline },
      });
    }
  }
  const passwords = new Map<string, { username?: string; password: string }>();

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopping) fn();
    }, ms);
    timers.add(t);
  };
  /** Stops the device's agent now and starts it again on the same state dir after `ms`. */
  const interrupt = (d: SimDevice, kind: 'crash' | 'outage', ms: number) => {
    const agent = d.agent;
    if (!agent) return;
    d.agent = undefined;
    if (kind === 'crash') d.crashes++;
    else d.outages++;
    log.info(`${d.deviceId}: ${kind}`, { backInMs: ms });
    agent.stop().catch((err: unknown) => log.warn(`${d.deviceId}: stop failed`, { error: describeError(err) })).finally(() =>
      later(ms, () => void launch(d).catch((err: unknown) => log.error(`${d.deviceId}: restart failed`, { error: describeError(err) }))),
    );
  };

  const launch = async (d: SimDevice): Promise<void> => {
    if (o.credentials && !passwords.has(d.deviceId)) passwords.set(d.deviceId, await o.credentials(d.deviceId, d.className));
    const login = passwords.get(d.deviceId);
    const agent = await startAgent({
      brokerUrl: o.brokerUrl, deviceId: d.deviceId, stateDir: join(o.dataDir, d.deviceId), hardware: hardware.get(d.className),
      apiUrl: o.apiUrl, enrollToken: o.enrollToken, ...(login && { username: login.username, password: login.password }),
      trustedKeys: o.trustedKeys, tags: [...(o.tags ?? []), `sim-${d.className}`], caPem: o.caPem, logger: silentLogger,
      benchmark: { ...SIM_BUDGET, ...o.benchmark }, serveActiveModel: false,
      benchmarkRunner: benchmarks.runnerFor(d.deviceId, d.className, d.faults.gate),
    });
    d.agent = agent;
    agent.events.on('progress', (p) => { d.lastProgress = p.state; });
    agent.events.on('report', (r) => {
      d.reports.push(r);
      events.emit('report', d, r);
    });
    // Faults fire once per device: the restarted agent resumes from its state dir and finishes.
    if (d.faults.offline && d.outages === 0) {
      agent.events.on('plan', (steps) => {
        if (d.agent === agent && d.outages === 0 && steps[0]?.kind !== 'nothing') interrupt(d, 'outage', o.offlineMs ?? 5000);
      });
    }
    if (d.faults.crash && d.crashes === 0) {
      agent.events.on('progress', (p) => {
        if (d.agent === agent && d.crashes === 0 && p.state === 'downloading') interrupt(d, 'crash', o.restartMs ?? 1000);
      });
    }
    await agent.ready;
  };

  // A bounded pool: enrollment and connection storms are the control plane's to measure, not the simulator's to make.
  let next = 0;
  const failures: string[] = [];
  await Promise.all(Array.from({ length: Math.min(o.startConcurrency ?? 8, devices.length) }, async () => {
    while (next < devices.length) {
      const d = devices[next++]!;
      try {
        await launch(d);
      } catch (err) {
        failures.push(`${d.deviceId}: ${describeError(err)}`);
      }
    }
  }));

  const fleet: Fleet = {
    devices,
    benchmarks,
    events,
    outcomes(deploymentId) {
      const out = { activated: 0, rejected: 0, failed: 0 };
      for (const d of devices) {
        const last = d.reports.findLast((r) => r.deploymentId === deploymentId);
        if (last) out[last.outcome]++;
      }
      return out;
    },
    async login(d) {
      const c = await new CredentialStore(join(o.dataDir, d.deviceId)).load();
      return c && { username: c.username, password: c.password };
    },
    waitFor(done, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        if (done()) return resolve();
        const check = () => {
          if (!done()) return;
          cleanup();
          resolve();
        };
        const poll = setInterval(check, 250);
        const timeout = setTimeout(() => {
          cleanup();
          const where = new Map<string, number>();
          for (const d of devices) {
            const k = `${d.agent ? (d.agent.status().connected ? 'online' : 'disconnected') : 'stopped'}/${d.lastProgress ?? 'no progress'}/${d.reports.at(-1)?.outcome ?? 'no report'}`;
            where.set(k, (where.get(k) ?? 0) + 1);
          }
          reject(new Error(`fleet: ${what} not reached within ${timeoutMs} ms; devices by connection/last progress/last report: ${[...where].map(([k, v]) => `${k} ${v}`).join(', ')}`));
        }, timeoutMs);
        const cleanup = () => {
          clearInterval(poll);
          clearTimeout(timeout);
          events.off('report', check);
        };
        events.on('report', check);
      });
    },
    async stop() {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // Bounded: a device whose broker is gone must not keep the whole fleet (and its caller) waiting.
      let slow = 0;
      await Promise.all(devices.map((d) => {
        const stopped = d.agent?.stop().catch((err: unknown) => log.warn(`${d.deviceId}: stop failed`, { error: describeError(err) }));
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((res) => { timer = setTimeout(() => { slow++; res(); }, STOP_WAIT_MS); });
        return Promise.race([stopped, bound]).finally(() => clearTimeout(timer));
      }));
      if (slow > 0) log.warn(`${slow} device(s) had not stopped after ${STOP_WAIT_MS} ms; left behind`);
    },
  };
  if (failures.length > 0) {
    await fleet.stop();
    throw new Error(`fleet: ${failures.length} of ${devices.length} device(s) did not start; first: ${failures.slice(0, 3).join('; ')}`);
  }
  log.info('fleet started', { devices: devices.length, classes: o.classes.map((c) => `${c.name}:${c.count}`).join(',') });
  return fleet;
}
