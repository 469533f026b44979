/**
 * Entry point of the benchmark child process (see isolated.ts). It receives one job over IPC, benchmarks the
 * model in this fresh process, answers with the result or a typed failure, and exits. Running here rather than
 * in the agent means a model that crashes onnxruntime cannot take the agent down, and the process' peak RSS is
 * the model's real footprint rather than whatever the agent's heap already held.
 */
import { readFile } from 'node:fs/promises';
import { decodeAnyEvalSet, parseInputSpec } from '@edgefleet/contracts';
import { runBenchmark } from './benchmark';
import { processPeakRssMb, runtimeBaselineMb } from './memory';
import { ModelLoadError, describeError } from '../lib/errors';
import type { WorkerJob, WorkerAnswer } from './isolated';

async function handle(job: WorkerJob): Promise<WorkerAnswer> {
  try {
    // The eval set is decoded before the baseline: its samples are data, not the model's memory.
    const evalSet = job.evalSetPath ? decodeAnyEvalSet(await readFile(job.evalSetPath), job.featurizer) : undefined;
    const inputSpec = job.inputSpec ? parseInputSpec(job.inputSpec) : undefined;
    const baselineMb = await runtimeBaselineMb(job.threads);
    const result = await runBenchmark({ modelPath: job.modelPath, evalSet, inputSpec, budget: job.budget, threads: job.threads, slowdown: job.slowdown });
    const processPeakMb = processPeakRssMb();
    return {
      ok: true,
      result: { ...result, peakRssMb: round(processPeakMb), modelMemoryMb: round(Math.max(0, processPeakMb - baselineMb)), runtimeBaselineMb: round(baselineMb) },
    };
  } catch (err) {
    return { ok: false, kind: err instanceof ModelLoadError ? 'load' : 'benchmark', message: describeError(err, 1500) };
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

process.once('message', (job: WorkerJob) => {
  handle(job).then(
    (answer) => process.send!(answer, () => process.exit(0)),
    (err: unknown) => process.send!({ ok: false, kind: 'benchmark', message: describeError(err) } satisfies WorkerAnswer, () => process.exit(0)),
  );
});
