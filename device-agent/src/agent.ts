import { EventEmitter } from 'node:events';
import { verifyDesiredState, type DesiredStateMessage, type HardwareProfile, type HelloMessage, type ReportMessage } from '@edgefleet/contracts';
import { nextReport, type AgentEvents } from './agent-events';
import { DEFAULT_BENCHMARK, DEFAULT_TRANSFER, defaultStateDir, type AgentOptions } from './config/agent-options';
import { checkOptions } from './config/check-options';
import { describeDevice } from './hardware/device-hardware';
import type { SlowdownResult } from './hardware/slowdown';
import { describeError } from './lib/errors';
import { createLogger } from './lib/logger';
import { AGENT_VERSION } from './lib/version';
import { AgentLink, type DesiredEvent } from './mqtt/agent-link';
import type { SignatureCheck } from './planner/planner';
import { ReconcileLoop } from './reconcile/reconcile-loop';
import { Reconciler } from './reconcile/reconciler';
import { StateStore } from './state/state-store';

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

/**
 * Starts a device agent: loads its persisted state, connects, and reconciles desired state → running
 * model for as long as it runs. Does not wait for the broker (`ready` does).
 */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  await checkOptions(options);
  const logger = options.logger ?? createLogger(`agent ${options.deviceId}`);
  const hardware = await describeDevice(options.profile);
  const { profile, slowdown } = hardware;
  const store = new StateStore(options.stateDir ?? defaultStateDir(options.deviceId), logger);
  await store.init();
  const initial = await store.load();
  const trustedKeys = options.trustedKeys ?? [];
  const events = new EventEmitter<AgentEvents>();

  logger.info('starting', {
    stateDir: store.dir, profile: profile.name, simulated: hardware.simulated, slowdown: slowdown.factor, slowdownSource: slowdown.source,
    threads: hardware.threads, active: initial.active?.sha256, signedOnly: trustedKeys.length > 0,
  });

  const link = new AgentLink({
    brokerUrl: options.brokerUrl,
    deviceId: options.deviceId,
    username: options.username,
    password: options.password,
    logger,
    hello: (): Omit<HelloMessage, 'v'> => ({
      deviceId: options.deviceId,
      agentVersion: AGENT_VERSION,
      profile,
      ...(options.name && { name: options.name }),
      ...(options.tags?.length && { tags: options.tags }),
      ...(reconciler.snapshot.active && { activeSha256: reconciler.snapshot.active.sha256 }),
    }),
  });

  const signatureOf = (d: DesiredStateMessage): SignatureCheck => {
    if (trustedKeys.length === 0) return 'not-required';
    if (!d.signature) return 'missing';
    return verifyDesiredState(d, trustedKeys) ? 'valid' : 'invalid';
  };
  const reconciler = new Reconciler({
    store, link, events, logger, hardware, signatureOf,
    tuning: { ...DEFAULT_TRANSFER, ...options.transfer },
    budget: { ...DEFAULT_BENCHMARK, ...options.benchmark },
    benchmarkLock: options.benchmarkLock,
  }, initial);
  const loop = new ReconcileLoop(() => reconciler.reconcileOnce(), logger, { baseMs: options.retryBaseMs ?? 2000, maxMs: options.retryMaxMs ?? 120_000 });

  const onDesired = async (ev: DesiredEvent): Promise<void> => {
    if (ev.kind === 'invalid') {
      logger.warn('ignoring malformed desired state', { errors: ev.errors.slice(0, 10) });
      events.emit('invalidDesired', ev.errors);
      return;
    }
    const next = ev.kind === 'desired' ? ev.desired : undefined;
    if (await reconciler.setDesired(next)) {
      logger.info(next ? 'desired state received' : 'desired state cleared', next ? { deploymentId: next.deploymentId, sha256: next.artifact.sha256 } : undefined);
    } else if (next) {
      reconciler.repeatReport(next.deploymentId);
    }
    loop.kick();
  };

  link.on('desired', (ev) => {
    onDesired(ev).catch((err: unknown) => logger.error('handling desired state failed', { error: describeError(err) }));
  });
  link.on('connected', () => events.emit('connected'));
  link.on('disconnected', () => events.emit('disconnected'));
  const ready = link.start();
  // Work the persisted desired state right away: a restart resumes a transfer even before the broker answers.
  loop.wake();

  let stopped = false;
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
      activeSha256: reconciler.snapshot.active?.sha256,
      desiredDeploymentId: reconciler.snapshot.desired?.deploymentId,
      busy: loop.busy,
    }),
    waitForReport: (pred, timeoutMs) => nextReport(events, pred, timeoutMs),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await loop.stop(() => reconciler.abort('agent stopping'));
      await link.stop();
      logger.info('stopped');
    },
  };
}

