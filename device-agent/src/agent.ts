import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { HardwareProfile, HelloMessage, ReportMessage } from '@edgefleet/contracts';
import { nextReport, type AgentEvents } from './agent-events';
import { DEFAULT_BENCHMARK, DEFAULT_KEY_REFRESH_MS, DEFAULT_MAX_OBJECT_BYTES, DEFAULT_RESEND, DEFAULT_TRANSFER, defaultStateDir, type AgentOptions } from './config/agent-options';
import { checkOptions } from './config/check-options';
import { describeDevice } from './hardware/device-hardware';
import type { SlowdownResult } from './hardware/slowdown';
import { AgentConfigError, describeError } from './lib/errors';
import { createLogger } from './lib/logger';
import { AGENT_VERSION } from './lib/version';
import { resolveIdentity } from './identity/resolve-identity';
import { AgentLink } from './mqtt/agent-link';
import { ReliableSender } from './mqtt/reliable-sender';
import { ReconcileLoop } from './reconcile/reconcile-loop';
import { Reconciler } from './reconcile/reconciler';
import { Outbox } from './state/outbox';
import { describeState } from './state/describe-state';
import { StateStore } from './state/state-store';
import { DesiredIntake } from './trust/desired-intake';
import { InferHttpServer } from './serving/infer-http';
import { ModelServer, type InferRequest, type InferResult } from './serving/model-server';
import { TelemetryReporter } from './telemetry/telemetry-reporter';
import { parseFeaturizer, type FeaturizerSpec } from '@edgefleet/contracts';
import type { PersistedState } from './state/agent-state';
import { HighWaterMark } from './trust/high-water-mark';

export interface AgentStatus {
  deviceId: string;
  connected: boolean;
  activeSha256?: string;
  desiredDeploymentId?: string;
  busy: boolean;
  /** Progress/report messages the control plane has not acknowledged yet. */
  unacknowledged: number;
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
  /** The active model, served: the library form of `POST /v1/infer`. */
  readonly models: ModelServer;
  infer(req: InferRequest): Promise<InferResult>;
  /** Where `POST /v1/infer` listens (`host:port` or a socket path); undefined without `serve`. */
  readonly serveAddress?: string;
  readonly telemetry: TelemetryReporter;
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
  const hardware = options.hardware ?? (await describeDevice(options.profile));
  const { profile, slowdown } = hardware;
  const store = new StateStore(options.stateDir ?? defaultStateDir(options.deviceId), logger);
  await store.init();
  const initial = await store.load();
  const highWater = new HighWaterMark(store.dir, logger);
  await highWater.load(initial.desired?.seq ?? 0);
  const identity = await resolveIdentity({
    deviceId: options.deviceId, stateDir: store.dir, apiUrl: options.apiUrl, ca: options.caPem, enrollToken: options.enrollToken, username: options.username,
    password: options.password, trustedKeys: options.trustedKeys, name: options.name, tags: options.tags, agentVersion: AGENT_VERSION, profile,
  }, logger);
  const { keyRing } = identity;
  if (keyRing.canRefresh) await keyRing.refresh();
  const insecure = options.insecureNoSignature === true;
  if (insecure) {
    logger.warn('!!! --insecure-no-signature: this agent runs UNSIGNED desired states. Anyone who can publish on its topic chooses the model it runs. Development only. !!!');
  } else if (keyRing.keys.length === 0) {
    throw new AgentConfigError(['no trusted key: enroll (--enroll-token + --api-url), give --api-url to fetch the control plane\'s keys, or --trust-key <pem>; --insecure-no-signature accepts unsigned desired states (development only)']);
  }
  const events = new EventEmitter<AgentEvents>();

  logger.info('starting', {
    stateDir: store.dir, profile: profile.name, simulated: hardware.simulated, slowdown: slowdown.factor, slowdownSource: slowdown.source,
    threads: hardware.threads, active: initial.active?.sha256, identity: identity.how, trustedKeys: keyRing.keys.map((k) => k.keyId),
    highWaterSeq: highWater.value, signatures: insecure ? 'NOT CHECKED' : 'required',
  });

  const link = new AgentLink({
    brokerUrl: options.brokerUrl,
    deviceId: options.deviceId,
    username: identity.username,
    password: identity.password,
    ca: options.caPem,
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

  // What the control plane has not acknowledged (also from before a restart) goes out after the first connect.
  const outbox = new Outbox(join(store.dir, 'outbox'), logger);
  await outbox.load();
  const orphans = await outbox.dropReportsWithout((r) => initial.outcomes.some((o) => o.deploymentId === r.deploymentId && o.sha256 === r.artifactSha256 && o.outcome === r.outcome));
  if (orphans > 0) logger.warn('dropped reports whose outcome was not saved before a crash; the work is redone', { orphans });
  const sender = new ReliableSender(outbox, link, logger, options.resend ?? DEFAULT_RESEND);
  if (outbox.size > 0) logger.info('unacknowledged messages from the last run will be resent', { pending: outbox.size });

  const reconciler = new Reconciler({
    store, link, sender, events, logger, hardware,
    tuning: { ...DEFAULT_TRANSFER, ...options.transfer },
    budget: { ...DEFAULT_BENCHMARK, ...options.benchmark },
    benchmarkLock: options.benchmarkLock,
    benchmarkRunner: options.benchmarkRunner,
  }, initial);
  const loop = new ReconcileLoop(() => reconciler.reconcileOnce(), logger, { baseMs: options.retryBaseMs ?? 2000, maxMs: options.retryMaxMs ?? 120_000 });

  const intake = new DesiredIntake({
    deviceId: options.deviceId, keyRing, highWater, reconciler, loop, events, logger, insecure,
    maxObjectBytes: options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
  });
  // One message at a time: each one's checks see the high-water mark the previous one left.
  let intakeChain = Promise.resolve();
  link.on('desired', (ev) => {
    intakeChain = intakeChain.then(() => intake.handle(ev)).catch((err: unknown) => logger.error('handling desired state failed', { error: describeError(err) }));
  });
  const models = new ModelServer({ threads: hardware.threads });
  const telemetry = new TelemetryReporter(store.dir, AGENT_VERSION, link, () => models.model?.sha256, logger, options.telemetry);
  await telemetry.start();
  models.observe(telemetry);
  // An id is the outbox's or the telemetry reporter's; each ignores the other's.
  const settled = (what: string) => (err: unknown) => logger.warn(what, { error: describeError(err) });
  link.on('ack', (msgId) => {
    void sender.acked(msgId).catch(settled('outbox entry not removed'));
    void telemetry.acked(msgId).catch(settled('acknowledged telemetry not removed'));
  });
  link.on('refused', (msgId) => {
    void sender.refused(msgId).catch(settled('outbox entry not removed'));
    void telemetry.refused(msgId).catch(settled('refused telemetry not removed'));
  });
  const serveModel = (state: PersistedState): void => {
    const active = state.active;
    if (!active || options.serveActiveModel === false) return;
    const spec = state.desired?.artifact.sha256 === active.sha256 ? state.desired.artifact.featurizer : undefined;
    let featurizer: FeaturizerSpec | undefined;
    try {
      featurizer = spec ? parseFeaturizer(spec) : undefined;
    } catch (err) {
      logger.warn('serving without the featurizer', { error: describeError(err) });
    }
    models.activate({ sha256: active.sha256, name: active.name, version: active.version }, store.objectPath(active.sha256), featurizer).then(
      () => logger.info('serving', { sha256: active.sha256, name: active.name, version: active.version }),
      (err: unknown) => logger.error('could not serve the active model', { error: describeError(err) }),
    );
  };
  serveModel(initial);
  events.on('report', (r) => {
    if (r.outcome === 'activated') serveModel(reconciler.snapshot);
  });
  const http = options.serve ? new InferHttpServer(models, logger) : undefined;
  let serveAddress: string | undefined;
  if (http && options.serve) {
    try {
      serveAddress = await http.listen(options.serve);
      logger.info('inference endpoint', { address: serveAddress, path: '/v1/infer' });
    } catch (err) {
      // Keeping the device's model managed matters more than the local endpoint: an address that is taken (e.g. a
      // second agent on one host with the default port) is an error in the log, not an agent that cannot start.
      logger.error('inference endpoint not started (choose another --serve address)', { error: describeError(err) });
    }
  }

  // A stalled row: say what we have for it, and resend what the control plane has not acknowledged.
  link.on('query', (deploymentId) => {
    sender.flush();
    describeState(deploymentId, reconciler.snapshot, store, loop.busy, sender.pending)
      .then((msg) => link.publishState(msg))
      .catch((err: unknown) => logger.warn('state answer not published', { error: describeError(err) }));
  });
  link.on('connected', () => {
    sender.flush();
    events.emit('connected');
    void telemetry.flush(true, true);
  });
  link.on('disconnected', () => events.emit('disconnected'));
  const ready = link.start();
  // Work the persisted desired state right away: a restart resumes a transfer even before the broker answers.
  loop.wake();

  const keyRefresh = keyRing.canRefresh ? setInterval(() => void keyRing.refresh(), options.keyRefreshMs ?? DEFAULT_KEY_REFRESH_MS) : undefined;
  keyRefresh?.unref();
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
      unacknowledged: sender.pending,
    }),
    waitForReport: (pred, timeoutMs) => nextReport(events, pred, timeoutMs),
    models,
    infer: (req) => models.infer(req),
    serveAddress,
    telemetry,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(keyRefresh);
      await loop.stop(() => reconciler.abort('agent stopping'));
      sender.stop();
      await http?.close();
      await telemetry.stop();
      await models.close();
      await link.stop();
      logger.info('stopped');
    },
  };
}

