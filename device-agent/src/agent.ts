import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, verifyDesiredState, type DesiredStateMessage, type HardwareProfile, type ProgressMessage, type ReportMessage } from '@edgefleet/contracts';
import { DEFAULT_BENCHMARK, DEFAULT_TRANSFER, defaultStateDir, type AgentOptions } from './config/agent-options';
import { executeSteps } from './executor/executor';
import { ensureLockFile } from './benchmark/host-lock';
import { detectHost } from './hardware/detect';
import { resolveProfile } from './hardware/profiles';
import { benchmarkThreads, computeSlowdown, type SlowdownResult } from './hardware/slowdown';
import { backoffDelay } from './lib/backoff';
import { AgentConfigError, AbortedError, describeError, isAborted } from './lib/errors';
import { createLogger } from './lib/logger';
import { AgentLink, type DesiredEvent } from './mqtt/agent-link';
import { plan, type ObjectStatus, type SignatureCheck } from './planner/planner';
import type { Step } from './planner/steps';
import type { PersistedState } from './state/agent-state';
import { StateStore } from './state/state-store';
import { readJsonIfExists } from './lib/atomic-file';

export interface AgentEvents {
  report: [ReportMessage];
  progress: [Omit<ProgressMessage, 'v'>];
  plan: [Step[]];
  /** A desired payload failed validation and was ignored. */
  invalidDesired: [string[]];
  connected: [];
  disconnected: [];
}

export interface AgentStatus {
  deviceId: string;
  connected: boolean;
  activeSha256?: string;
  desiredDeploymentId?: string;
  busy: boolean;
}

export interface RunningAgent {
  readonly deviceId: string;
  readonly stateDir: string;
  /** What the agent announces in hello (the simulated device's profile when --profile is given). */
  readonly profile: HardwareProfile;
  readonly slowdown: SlowdownResult;
  readonly events: EventEmitter<AgentEvents>;
  /** Resolves after the first connect, subscriptions and hello. */
  readonly ready: Promise<void>;
  status(): AgentStatus;
  /** Resolves with the next report matching `pred`; rejects after `timeoutMs`. */
  waitForReport(pred?: (r: ReportMessage) => boolean, timeoutMs?: number): Promise<ReportMessage>;
  stop(): Promise<void>;
}

export const AGENT_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0'; // bundled without its package.json: the version is informative only
  }
})();

/**
 * Starts a device agent: loads its persisted state, connects, and reconciles desired state → running
 * model for as long as it runs. Does not wait for the broker (`ready` does).
 */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const problems: string[] = [];
  if (!options.brokerUrl) problems.push('brokerUrl is required');
  if (!options.deviceId) problems.push('deviceId is required');
  if (options.benchmarkLock) {
    // Checked now: a lock file that cannot be created would otherwise fail every benchmark, deployment after deployment.
    const err = await ensureLockFile(options.benchmarkLock).then(() => undefined, (e: unknown) => e as Error);
    if (err) problems.push(`benchmark lock ${options.benchmarkLock}: cannot create (${err.message})`);
  }
  if (problems.length) throw new AgentConfigError(problems);

  const logger = options.logger ?? createLogger(`agent ${options.deviceId}`);
  const host = detectHost();
  const { profile: resolved, isHost } = await resolveProfile(options.profile, host);
  const slowdown = computeSlowdown(host, resolved, isHost);
  const simulated = !isHost;
  const profile: HardwareProfile = simulated ? { ...resolved, slowdown: slowdown.factor } : resolved;
  const threads = benchmarkThreads(host, resolved);
  const store = new StateStore(options.stateDir ?? defaultStateDir(options.deviceId), logger);
  await store.init();
  let state = await store.load();
  const trustedKeys = options.trustedKeys ?? [];
  const events = new EventEmitter<AgentEvents>();
  const tuning = { ...DEFAULT_TRANSFER, ...options.transfer };
  const budget = { ...DEFAULT_BENCHMARK, ...options.benchmark };
  const retryBase = options.retryBaseMs ?? 2000;
  const retryMax = options.retryMaxMs ?? 120_000;

  logger.info('starting', {
    stateDir: store.dir, profile: profile.name, simulated, slowdown: slowdown.factor, slowdownSource: slowdown.source, threads,
    active: state.active?.sha256, signedOnly: trustedKeys.length > 0,
  });

  const link = new AgentLink({
    brokerUrl: options.brokerUrl,
    deviceId: options.deviceId,
    username: options.username,
    password: options.password,
    logger,
    hello: () => ({
      deviceId: options.deviceId,
      agentVersion: AGENT_VERSION,
      profile,
      ...(options.name && { name: options.name }),
      ...(options.tags?.length && { tags: options.tags }),
      ...(state.active && { activeSha256: state.active.sha256 }),
    }),
  });

  let stopped = false;
  let running: Promise<void> | undefined;
  let dirty = false;
  let current: AbortController | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  let lastReport: ReportMessage | undefined;

  const publishReport = (r: ReportMessage) => {
    lastReport = r;
    events.emit('report', r);
    link.publishReport(r).catch((err: unknown) => logger.warn('report not published', { error: describeError(err) }));
  };

  const signatureOf = (d: DesiredStateMessage): SignatureCheck => {
    if (trustedKeys.length === 0) return 'not-required';
    if (!d.signature) return 'missing';
    return verifyDesiredState(d, trustedKeys) ? 'valid' : 'invalid';
  };

  const objectStatuses = async (d: DesiredStateMessage | undefined): Promise<Record<string, ObjectStatus>> => {
    const out: Record<string, ObjectStatus> = {};
    for (const sha of [d?.artifact.sha256, d?.artifact.evalSet?.sha256]) {
      if (!sha) continue;
      if (await store.hasObject(sha)) out[sha] = { stored: true };
      else {
        const meta = (await readJsonIfExists(store.partialPaths(sha).meta).catch(() => undefined)) as { bitmap?: string } | undefined;
        const have = meta?.bitmap ? Buffer.from(meta.bitmap, 'base64').reduce((n, b) => n + popcount(b), 0) : 0;
        out[sha] = { stored: false, haveBlocks: have };
      }
    }
    return out;
  };

  const reconcileOnce = async (): Promise<void> => {
    const desired = state.desired;
    const steps = plan({ desired, signature: desired ? signatureOf(desired) : 'not-required', state, objects: await objectStatuses(desired) });
    events.emit('plan', steps);
    if (steps[0]?.kind === 'nothing') return;
    logger.info('plan', { steps: steps.map((s) => s.kind).join(' → '), deploymentId: desired?.deploymentId });
    current = new AbortController();
    const result = await executeSteps(steps, desired, state, {
      store,
      transport: link,
      publishProgress: (p) => {
        events.emit('progress', p);
        link.publishProgress(p).catch((err: unknown) => logger.warn('progress not published', { error: describeError(err) }));
      },
      logger,
      tuning,
      budget,
      threads,
      slowdown: slowdown.factor,
      simulated,
      benchmarkLock: options.benchmarkLock,
    }, current.signal);
    state = result.state;
    if (result.report) publishReport(result.report);
    const keep = new Set([state.active?.sha256, state.previous?.sha256, state.desired?.artifact.sha256, state.desired?.artifact.evalSet?.sha256].filter((s): s is string => !!s));
    await store.collectGarbage(keep);
  };

  const loop = async (): Promise<void> => {
    while (dirty && !stopped) {
      dirty = false;
      try {
        await reconcileOnce();
        failures = 0;
      } catch (err) {
        if (stopped) break;
        if (isAborted(err)) continue; // a newer desired state is already marked dirty
        failures++;
        const delay = backoffDelay(failures, { baseMs: retryBase, maxMs: retryMax });
        logger.warn('reconcile failed; retrying', { error: describeError(err), inMs: delay, attempt: failures });
        retryTimer = setTimeout(() => wake(), delay);
      } finally {
        current = undefined;
      }
    }
  };

  const wake = () => {
    dirty = true;
    if (running || stopped) return;
    running = loop()
      .catch((err: unknown) => logger.error('reconcile loop crashed', { error: describeError(err) }))
      .finally(() => {
        running = undefined;
        if (dirty && !stopped) wake();
      });
  };

  const onDesired = async (ev: DesiredEvent): Promise<void> => {
    if (ev.kind === 'invalid') {
      logger.warn('ignoring malformed desired state', { errors: ev.errors.slice(0, 10) });
      events.emit('invalidDesired', ev.errors);
      return;
    }
    const next = ev.kind === 'desired' ? ev.desired : undefined;
    const same = canonicalJson(next ?? null) === canonicalJson(state.desired ?? null);
    if (!same) {
      current?.abort(new AbortedError('superseded by a new desired state'));
      state = { ...state, desired: next };
      await store.save(state);
      logger.info(next ? 'desired state received' : 'desired state cleared', next ? { deploymentId: next.deploymentId, sha256: next.artifact.sha256 } : undefined);
    } else if (next && lastReport && lastReport.deploymentId === next.deploymentId && !current) {
      // The control plane re-sent what we already finished (e.g. after our hello): our report may have been
      // lost while it was down, so say it again. Reports are idempotent per (deployment, artifact).
      link.publishReport(lastReport).catch((err: unknown) => logger.warn('report not re-published', { error: describeError(err) }));
    }
    if (retryTimer) clearTimeout(retryTimer);
    failures = 0;
    wake();
  };

  link.on('desired', (ev) => {
    onDesired(ev).catch((err: unknown) => logger.error('handling desired state failed', { error: describeError(err) }));
  });
  link.on('connected', () => events.emit('connected'));
  link.on('disconnected', () => events.emit('disconnected'));
  const ready = link.start();
  // Work the persisted desired state right away: a restart resumes a transfer even before the broker answers.
  wake();

  return {
    deviceId: options.deviceId,
    stateDir: store.dir,
    profile,
    slowdown,
    events,
    ready,
    status: () => ({
      deviceId: options.deviceId,
      connected: link.connected,
      activeSha256: state.active?.sha256,
      desiredDeploymentId: state.desired?.deploymentId,
      busy: running !== undefined,
    }),
    waitForReport: (pred = () => true, timeoutMs = 60_000) =>
      new Promise<ReportMessage>((resolve, reject) => {
        const t = setTimeout(() => {
          events.off('report', on);
          reject(new Error(`no matching report within ${timeoutMs} ms`));
        }, timeoutMs);
        const on = (r: ReportMessage) => {
          if (!pred(r)) return;
          clearTimeout(t);
          events.off('report', on);
          resolve(r);
        };
        events.on('report', on);
      }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      current?.abort(new AbortedError('agent stopping'));
      await running;
      await link.stop();
      logger.info('stopped');
    },
  };
}

function popcount(b: number): number {
  let n = 0;
  for (let x = b; x; x &= x - 1) n++;
  return n;
}

export type { PersistedState };
