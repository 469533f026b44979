import { readFile, statfs } from 'node:fs/promises';
import { EvalSetFormatError, PROTOCOL_VERSION, decodeAnyEvalSet, parseFeaturizer, parseInputSpec, type DesiredStateMessage, type EvalSet, type FeaturizerSpec, type ProgressMessage, type ReportMessage } from '@edgefleet/contracts';
import type { BenchmarkBudget, TransferTuning } from '../config/agent-options';
import { allPassed, evaluateGates, remeasureWanted, type Measured } from '../benchmark/gates';
import { withHostLock } from '../benchmark/host-lock';
import { runBenchmarkIsolated, type IsolatedBenchmarkOptions, type IsolatedBenchmarkResult } from '../benchmark/isolated';
import { AbortedError, DiskFullError, ModelLoadError, describeError, isNoSpace, isTerminal } from '../lib/errors';
import { removeIfExists } from '../lib/atomic-file';
import type { Logger } from '../lib/logger';
import { stagedFor, withOutcome, type PersistedState } from '../state/agent-state';
import type { StateStore } from '../state/state-store';
import { fetchBlocks, type BlockTransport } from '../transfer/block-fetcher';
import { PartialDownload } from '../transfer/partial-download';
import type { Step } from '../planner/steps';

export interface ExecutorDeps {
  store: StateStore;
  transport: BlockTransport;
  publishProgress: (msg: Omit<ProgressMessage, 'v'>) => void;
  /**
   * Stores the outcome's report durably (the outbox, held back until the caller releases it) and returns it as
   * stored (with its msgId). Called BEFORE the outcome is saved in the state: a crash between the two leaves a
   * report without its outcome, which the outbox drops at the next start (the step is redone and reported again),
   * never an outcome without its report.
   */
  sendReport: (report: ReportMessage) => Promise<ReportMessage>;
  logger: Logger;
  tuning: TransferTuning;
  budget: BenchmarkBudget;
  threads: number;
  slowdown: number;
  simulated: boolean;
  /** Shared with the other simulated agents of this host: benchmarks take turns (AgentOptions.benchmarkLock). */
  benchmarkLock?: string;
  /** The benchmark (default runBenchmarkIsolated); replaced in executor tests and by the fleet simulator's per-class one. */
  benchmark?: (o: IsolatedBenchmarkOptions) => Promise<IsolatedBenchmarkResult>;
}

export interface ExecutionResult {
  state: PersistedState;
  /** The report to publish; undefined when there was nothing to do. */
  report?: ReportMessage;
}

/**
 * Runs the planner's steps for one desired state. Terminal failures (bad bytes, bad signature, model that
 * does not load) become a `failed` report and an outcome record; transient ones (stall, abort) propagate so
 * the agent retries later with the partial download intact.
 */
export async function executeSteps(steps: Step[], desired: DesiredStateMessage | undefined, state: PersistedState, deps: ExecutorDeps, signal: AbortSignal): Promise<ExecutionResult> {
  if (!desired || steps[0]?.kind === 'nothing') return { state };
  const { artifact } = desired;
  const base = { deploymentId: desired.deploymentId, sha256: artifact.sha256 };
  let received = 0;
  let totalBlocks = 0;
  // The object the counts are about: the eval set while it is fetched, else the model.
  let counting = artifact.sha256;
  const progress = (p: Pick<ProgressMessage, 'state'> & { error?: string }) =>
    deps.publishProgress({ ...base, sha256: counting, receivedBlocks: received, totalBlocks, ...p });
  const partials = new Map<string, PartialDownload>();
  // The switch of a staged model: its measurements are the ones it was staged with.
  const staged = stagedFor(state, desired.deploymentId, artifact.sha256);
  let bench: IsolatedBenchmarkResult | undefined = staged?.bench;
  let latencyAttempts: number[] = staged?.latencyAttempts ?? [];

  const report = (outcome: ReportMessage['outcome'], extra: Partial<ReportMessage>): ReportMessage => ({
    v: PROTOCOL_VERSION,
    deploymentId: desired.deploymentId,
    artifactSha256: artifact.sha256,
    outcome,
    runs: bench?.runs ?? 0,
    warmupRuns: bench?.warmupRuns ?? 0,
    inputSource: bench?.inputSource ?? (artifact.evalSet ? 'eval-set' : 'synthetic'),
    gateResults: [],
    simulated: deps.simulated,
    ...(deps.simulated && { slowdownFactor: deps.slowdown }),
    ...(bench && {
      latency: bench.latency,
      throughputPerSec: bench.throughputPerSec,
      peakRssMb: bench.peakRssMb,
      modelMemoryMb: bench.modelMemoryMb,
      ...(bench.accuracy !== undefined && { accuracy: bench.accuracy }),
      ...(bench.metric && { metric: bench.metric, evalSamples: bench.evalSamples }),
    }),
    ...(latencyAttempts.length > 1 && { latencyP95Attempts: latencyAttempts }),
    measuredAt: new Date().toISOString(),
    ...extra,
  });
  const fail = async (reason: string): Promise<ExecutionResult> => {
    progress({ state: 'failed', error: reason.slice(0, 2000) });
    const next = withOutcome(state, { ...base, outcome: 'failed', reason, at: new Date().toISOString() });
    const r = await deps.sendReport(report('failed', { failureReason: reason.slice(0, 2000), ...(state.active && { previousSha256: state.active.sha256 }) }));
    await deps.store.save(next);
    return { state: next, report: r };
  };

  try {
    for (const step of steps) {
      if (signal.aborted) throw new AbortedError('superseded');
      switch (step.kind) {
        case 'nothing':
          return { state };
        case 'reject':
          return await fail(step.reason);
        case 'fetch': {
          await preflightDisk(deps, step.ref, step.haveBlocks);
          const partial = await PartialDownload.open(step.ref, deps.store.partialPaths(step.ref.sha256));
          partials.set(step.ref.sha256, partial);
          counting = step.ref.sha256;
          totalBlocks = partial.bitmap.total;
          received = partial.bitmap.count;
          deps.logger.info('fetching', { object: step.object, sha256: step.ref.sha256, have: received, total: totalBlocks });
          progress({ state: 'downloading' });
          const every = Math.max(1, Math.floor(totalBlocks / 20));
          await fetchBlocks({
            partial,
            transport: deps.transport,
            tuning: deps.tuning,
            signal,
            onProgress: (p) => {
              received = p.received;
              if (p.received % every === 0 || p.received === p.total) progress({ state: 'downloading' });
            },
            onRequestError: (err) => deps.logger.warn('block request not sent', { error: describeError(err) }),
          });
          break;
        }
        case 'verify': {
          counting = step.ref.sha256;
          progress({ state: 'verifying' });
          const partial = partials.get(step.ref.sha256) ?? (await PartialDownload.open(step.ref, deps.store.partialPaths(step.ref.sha256)));
          partials.delete(step.ref.sha256);
          await partial.verifyAndCommit(deps.store.objectPath(step.ref.sha256));
          deps.logger.info('verified', { object: step.object, sha256: step.ref.sha256 });
          break;
        }
        case 'benchmark': {
          counting = artifact.sha256;
          progress({ state: 'benchmarking' });
          // Decoded here once so a corrupt eval set fails with its own message; the child reads it again.
          const featurizer = artifact.featurizer ? parseFeaturizer(artifact.featurizer) : undefined;
          if (step.evalSetSha256) await loadEvalSet(deps.store.objectPath(step.evalSetSha256), featurizer);
          const once = () => (deps.benchmark ?? runBenchmarkIsolated)({
            modelPath: deps.store.objectPath(step.modelSha256),
            evalSetPath: step.evalSetSha256 ? deps.store.objectPath(step.evalSetSha256) : undefined,
            featurizer,
            ...(artifact.inputSpec && { inputSpec: parseInputSpec(artifact.inputSpec) }),
            budget: deps.budget,
            threads: deps.threads,
            slowdown: deps.slowdown,
            signal,
          });
          const lock = deps.benchmarkLock;
          const run = lock ? () => withHostLock(lock, once, signal) : once;
          const first = await run();
          latencyAttempts = [first.latency.p95Ms];
          bench = first;
          if (remeasureWanted(evaluateGates(desired.gates, measuredOf(first)))) {
            // A narrow latency miss may be a neighbour's burst, not the model: measure once more, keep the faster pass
            // (and the larger memory peak of the two, so the memory gate stays conservative).
            deps.logger.info('latency gate missed narrowly; measuring again', { p95Ms: first.latency.p95Ms, limit: desired.gates.maxLatencyP95Ms });
            const second = await run();
            latencyAttempts.push(second.latency.p95Ms);
            const faster = second.latency.p95Ms < first.latency.p95Ms ? second : first;
            bench = {
              ...faster, peakRssMb: Math.max(first.peakRssMb, second.peakRssMb), modelMemoryMb: Math.max(first.modelMemoryMb, second.modelMemoryMb),
              runtimeBaselineMb: Math.min(first.runtimeBaselineMb, second.runtimeBaselineMb),
            };
          }
          deps.logger.info('benchmarked', { p95Ms: bench.latency.p95Ms, runs: bench.runs, metric: bench.metric, modelMemoryMb: bench.modelMemoryMb, peakRssMb: bench.peakRssMb });
          break;
        }
        case 'decide':
          return await decide(desired, state, bench, deps, report);
        case 'stage': {
          // A model that fails the gates is rejected now, as without stage mode; one that passes waits for the switch.
          if (!bench || !allPassed(evaluateGates(desired.gates, measuredOf(bench)))) return await decide(desired, state, bench, deps, report);
          const next: PersistedState = { ...state, staged: { ...base, bench, latencyAttempts, at: new Date().toISOString() } };
          await deps.store.save(next);
          progress({ state: 'staged' });
          deps.logger.info('staged; waiting for the switch', { sha256: artifact.sha256, deploymentId: desired.deploymentId });
          return { state: next };
        }
        default: {
          const never: never = step;
          throw new Error(`unknown step ${JSON.stringify(never)}`);
        }
      }
    }
    return { state };
  } catch (caught) {
    let err = caught;
    if (isNoSpace(err) && !(err instanceof DiskFullError)) {
      err = new DiskFullError(`disk full: no space left on the device while writing (${(caught as Error).message})`, { cause: caught });
    }
    if (err instanceof DiskFullError) {
      // Free what this deployment took, so the failure (progress, report, outcome) can be written at all.
      for (const [sha, p] of partials) {
        await p.close().catch(() => undefined);
        partials.delete(sha);
        const paths = deps.store.partialPaths(sha);
        await removeIfExists(paths.data);
        await removeIfExists(paths.meta);
      }
    }
    if (isTerminal(err)) {
      deps.logger.warn('deployment failed', { deploymentId: desired.deploymentId, error: describeError(err) });
      return await fail(describeError(err));
    }
    throw err;
  } finally {
    for (const p of partials.values()) await p.close();
  }
}

/** Room kept free beyond the object: state, outbox and checkpoint files. */
export const DISK_HEADROOM_BYTES = 4 * 1024 * 1024;

/**
 * Pre-flight: the rest of the object must fit on the state dir's file system with DISK_HEADROOM_BYTES to spare
 * (statfs), else the download does not start and the deployment fails with reason `disk full`.
 */
async function preflightDisk(deps: ExecutorDeps, ref: { size: number; blockSize: number }, haveBlocks: number): Promise<void> {
  const missing = Math.max(0, ref.size - haveBlocks * ref.blockSize);
  const fs = await statfs(deps.store.dir);
  const free = fs.bavail * fs.bsize;
  if (free < missing + DISK_HEADROOM_BYTES) {
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    throw new DiskFullError(`disk full: the download needs ${mb(missing + DISK_HEADROOM_BYTES)} MB (object ${mb(missing)} MB + ${mb(DISK_HEADROOM_BYTES)} MB headroom), ${mb(free)} MB free`);
  }
}

/** What the gates judge of a benchmark (nothing, when there was none: every gate then fails). */
const measuredOf = (b: IsolatedBenchmarkResult | undefined): Measured => ({ p95Ms: b?.latency.p95Ms, accuracy: b?.accuracy, modelMemoryMb: b?.modelMemoryMb });

async function loadEvalSet(path: string, featurizer: FeaturizerSpec | undefined): Promise<EvalSet> {
  try {
    return decodeAnyEvalSet(await readFile(path), featurizer);
  } catch (err) {
    if (err instanceof EvalSetFormatError) throw new ModelLoadError(`eval set unusable: ${err.message}`, { cause: err });
    throw err;
  }
}

async function decide(
  desired: DesiredStateMessage,
  state: PersistedState,
  bench: IsolatedBenchmarkResult | undefined,
  deps: ExecutorDeps,
  report: (o: ReportMessage['outcome'], extra: Partial<ReportMessage>) => ReportMessage,
): Promise<ExecutionResult> {
  const { artifact } = desired;
  const gateResults = evaluateGates(desired.gates, measuredOf(bench));
  const at = new Date().toISOString();
  const base = { deploymentId: desired.deploymentId, sha256: artifact.sha256, at };
  if (bench && allPassed(gateResults)) {
    const switching = state.active?.sha256 !== artifact.sha256;
    const next = withOutcome(
      {
        ...state,
        active: { sha256: artifact.sha256, deploymentId: desired.deploymentId, name: artifact.name, version: artifact.version, activatedAt: at },
        previous: switching ? state.active : state.previous,
      },
      { ...base, outcome: 'activated' },
    );
    const r = await deps.sendReport(report('activated', { gateResults, ...(switching && state.active && { previousSha256: state.active.sha256 }) }));
    // The switch itself is one atomic rename of state.json: after a crash the agent runs the old model or the new one.
    await deps.store.save(next);
    deps.logger.info('activated', { sha256: artifact.sha256, name: artifact.name, version: artifact.version });
    return { state: next, report: r };
  }
  const failed = gateResults.filter((g) => !g.passed).map((g) => g.gate);
  const next = withOutcome(state, { ...base, outcome: 'rejected', reason: `gates failed: ${failed.join(', ')}` });
  const r = await deps.sendReport(report('rejected', { gateResults, ...(state.active && { previousSha256: state.active.sha256 }) }));
  await deps.store.save(next);
  deps.logger.info('rejected by gates; keeping previous model', { failed, previous: state.active?.sha256 });
  return { state: next, report: r };
}
