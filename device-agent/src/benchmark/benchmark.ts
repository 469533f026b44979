import * as ort from 'onnxruntime-node';
import { inferenceSessionOptions, type EvalSet, type InputSpec, type LatencyStats, type TaskMetric } from '@edgefleet/contracts';
import type { BenchmarkBudget } from '../config/agent-options';
import { AbortedError, BenchmarkError, ModelLoadError, describeError, isAgentError } from '../lib/errors';
import { evalBatchFeeds, evalInput, scoreEvalSet } from './accuracy';
import { seededRandom, synthesizeFeeds, type StateLinks } from './input-synthesis';
import { RssMeter } from './memory';
import { summarize } from './stats';

export interface BenchmarkRequest {
  modelPath: string;
  evalSet?: EvalSet;
  /** How to build inputs the eval set does not feed (the model's input spec from the signed manifest). */
  inputSpec?: InputSpec;
  budget: BenchmarkBudget;
  /** intra-op threads: the simulated device's cores, at most the host's. */
  threads: number;
  /** Measured latencies are multiplied by it, throughput divided (docs/simulation.md). */
  slowdown: number;
  signal?: AbortSignal;
}

export interface BenchmarkResult {
  latency: LatencyStats;
  runs: number;
  warmupRuns: number;
  throughputPerSec: number;
  peakRssMb: number;
  accuracy?: number;
  /** The eval set's task metric, named. */
  metric?: TaskMetric;
  evalSamples?: number;
  inputSource: 'eval-set' | 'synthetic';
  loadMs: number;
  /** Wall time of the timed runs (real, not stretched). */
  measureMs: number;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Loads the model with onnxruntime, warms it up, then times single-sample inferences until at least
 * `minRuns` runs and `minTimeMs` passed (bounded by `maxRuns` / `maxTimeMs`), then measures accuracy on
 * the eval set when there is one. Latency inputs are eval samples when available, synthetic otherwise.
 */
export async function runBenchmark(req: BenchmarkRequest): Promise<BenchmarkResult> {
  const meter = new RssMeter();
  const t0 = nowMs();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(req.modelPath, inferenceSessionOptions(req.threads));
  } catch (err) {
    throw new ModelLoadError(`onnxruntime could not load the model: ${describeError(err, 1500)}`, { cause: err });
  }
  const loadMs = nowMs() - t0;
  meter.sample();
  try {
    return await measure(session, req, meter, loadMs);
  } catch (err) {
    if (isAgentError(err)) throw err;
    throw new BenchmarkError(`inference failed: ${describeError(err, 1500)}`, { cause: err });
  } finally {
    await session.release();
  }
}

async function measure(session: ort.InferenceSession, req: BenchmarkRequest, meter: RssMeter, loadMs: number): Promise<BenchmarkResult> {
  const { budget, evalSet, signal } = req;
  const { feeds: synthetic, state } = synthesizeFeeds(session, seededRandom(), req.inputSpec);
  // Batch-1 feeds: up to 16 distinct eval samples rotate so caches see realistic variety.
  const feedsList: Array<Record<string, ort.Tensor>> = [];
  if (evalSet) {
    const meta = evalInput(session, evalSet);
    for (let i = 0; i < Math.min(16, evalSet.n); i++) feedsList.push({ ...synthetic, ...evalBatchFeeds(evalSet, meta, i, 1) });
  } else {
    feedsList.push(synthetic);
  }
  const check = () => {
    if (signal?.aborted) throw new AbortedError('benchmark aborted');
  };

  const stateful = new StatefulRunner(session, state);
  const run = (feeds: Record<string, ort.Tensor>) => stateful.run(feeds);
  for (let i = 0; i < budget.warmupRuns; i++) {
    check();
    await run(feedsList[i % feedsList.length]!);
  }
  meter.sample();

  const samples: number[] = [];
  const start = nowMs();
  for (;;) {
    check();
    const t = nowMs();
    await run(feedsList[samples.length % feedsList.length]!);
    const end = nowMs();
    samples.push(end - t);
    if (samples.length % 16 === 0) meter.sample();
    const elapsed = end - start;
    if (samples.length >= budget.maxRuns || elapsed >= budget.maxTimeMs) break;
    if (samples.length >= budget.minRuns && elapsed >= budget.minTimeMs) break;
  }
  const measureMs = nowMs() - start;
  if (samples.length === 0) throw new BenchmarkError('no timed run completed');

  let score: Awaited<ReturnType<typeof scoreEvalSet>> | undefined;
  if (evalSet) {
    check();
    // A spec that shapes the eval input fixes the batch (a recurrent state is sized for it); the state starts afresh
    // and is carried from sample to sample, as frames of one stream (docs/models.md, "Task types").
    const fromSpec = req.inputSpec?.inputs[evalInput(session, evalSet).name]?.shape?.[0];
    const scoring = new StatefulRunner(session, state);
    score = await scoreEvalSet(session, evalSet, fromSpec ?? budget.evalBatch, synthetic, () => meter.sample(), (feeds) => scoring.run(feeds));
  }
  const busyMs = samples.reduce((a, b) => a + b, 0);
  return {
    latency: summarize(samples, req.slowdown),
    runs: samples.length,
    warmupRuns: budget.warmupRuns,
    throughputPerSec: Math.round((samples.length / (busyMs * req.slowdown / 1000)) * 100) / 100,
    peakRssMb: meter.peakMb(),
    ...(score && { ...(score.accuracy !== undefined && { accuracy: score.accuracy }), metric: score.metric, evalSamples: evalSet!.n }),
    inputSource: evalSet ? 'eval-set' : 'synthetic',
    loadMs: Math.round(loadMs * 100) / 100,
    measureMs: Math.round(measureMs),
  };
}

/** Runs a session, feeding its state outputs back as its state inputs of the next run, as on a stream of frames. */
export class StatefulRunner {
  private carried: Record<string, ort.Tensor> = {};

  constructor(private readonly session: ort.InferenceSession, private readonly links: StateLinks) {}

  async run(feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
    const out = await this.session.run({ ...feeds, ...this.carried });
    if (this.links.length > 0) {
      const next: Record<string, ort.Tensor> = {};
      for (const { input, output } of this.links) next[input] = out[output] as ort.Tensor;
      this.carried = next;
    }
    return out;
  }
}
