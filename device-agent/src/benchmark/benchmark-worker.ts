/**
 * Entry point of the benchmark child process (see isolated.ts). It receives one job over IPC, benchmarks the
 * model in this fresh process, answers with the result or a typed failure, and exits. Running here rather than
 * in the agent means a model that crashes onnxruntime cannot take the agent down, and the process' peak RSS is
 * the model's real footprint rather than whatever the agent's heap already held.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { decodeAnyEvalSet } from '@edgefleet/contracts';
import { runBenchmark } from './benchmark';
import { ModelLoadError, describeError } from '../lib/errors';
import type { WorkerJob, WorkerAnswer } from './isolated';

const baselineRssMb = process.memoryUsage.rss() / (1024 * 1024);

async function handle(job: WorkerJob): Promise<WorkerAnswer> {
  try {
    const evalSet = job.evalSetPath ? decodeAnyEvalSet(await readFile(job.evalSetPath), job.featurizer) : undefined;
    const result = await runBenchmark({ modelPath: job.modelPath, evalSet, budget: job.budget, threads: job.threads, slowdown: job.slowdown });
    const processPeakMb = peakRssMb();
    return {
      ok: true,
      result: { ...result, peakRssMb: round(processPeakMb), modelMemoryMb: round(Math.max(0, processPeakMb - baselineRssMb)) },
    };
  } catch (err) {
    return { ok: false, kind: err instanceof ModelLoadError ? 'load' : 'benchmark', message: describeError(err, 1500) };
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

/**
 * This process' resident-memory high-water mark. Linux's VmHWM belongs to the process image, so it starts afresh
 * at exec; getrusage's maxRSS does not (it keeps the parent's peak from before the fork) and would report the
 * agent's size instead of the model's. Elsewhere the current RSS is the best available lower bound.
 */
function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.memoryUsage.rss() / (1024 * 1024);
}

process.once('message', (job: WorkerJob) => {
  handle(job).then(
    (answer) => process.send!(answer, () => process.exit(0)),
    (err: unknown) => process.send!({ ok: false, kind: 'benchmark', message: describeError(err) } satisfies WorkerAnswer, () => process.exit(0)),
  );
});
