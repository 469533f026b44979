import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { FeaturizerSpec, InputSpec } from '@edgefleet/contracts';
import type { BenchmarkBudget } from '../config/agent-options';
import { AbortedError, BenchmarkError, ModelLoadError } from '../lib/errors';
import type { BenchmarkResult } from './benchmark';

export interface WorkerJob {
  modelPath: string;
  evalSetPath?: string;
  /** Text models: turns a text eval set into model inputs (from the signed manifest, checked by the planner). */
  featurizer?: FeaturizerSpec;
  /** How to build the inputs (from the signed manifest, checked by the planner). */
  inputSpec?: InputSpec;
  budget: BenchmarkBudget;
  threads: number;
  slowdown: number;
}

export interface IsolatedBenchmarkResult extends BenchmarkResult {
  /** Peak resident memory of the benchmark process (Node.js + runtime + model + inputs), MB. */
  peakRssMb: number;
  /** The model's own memory: peakRssMb minus runtimeBaselineMb (memory.ts), MB. The memory gate judges it. */
  modelMemoryMb: number;
  /** The same process' RSS with the runtime loaded and no model, MB. */
  runtimeBaselineMb: number;
}

export type WorkerAnswer =
  | { ok: true; result: IsolatedBenchmarkResult }
  | { ok: false; kind: 'load' | 'benchmark'; message: string };

/** Loading and evaluation get this much time beyond the timed runs' own limit before the child is killed. */
const GRACE_MS = 120_000;

/**
 * Runs runBenchmark in a child process of its own. A crash of the child (a model that makes onnxruntime abort)
 * becomes a BenchmarkError the agent reports, instead of the end of the agent.
 */
export type IsolatedBenchmarkOptions = WorkerJob & { signal?: AbortSignal };

export function runBenchmarkIsolated(job: IsolatedBenchmarkOptions): Promise<IsolatedBenchmarkResult> {
  const { signal, ...payload } = job;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError('benchmark aborted'));
    const child = fork(join(__dirname, 'benchmark-worker.js'), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    let answer: WorkerAnswer | undefined;
    const timer = setTimeout(() => {
      settle(new BenchmarkError(`benchmark did not finish within ${payload.budget.maxTimeMs + GRACE_MS} ms`));
      child.kill('SIGKILL');
    }, payload.budget.maxTimeMs + GRACE_MS);
    const onAbort = () => {
      child.kill('SIGKILL');
      settle(new AbortedError('benchmark aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let done = false;
    function settle(outcome: Error | IsolatedBenchmarkResult) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    }
    child.on('message', (m: WorkerAnswer) => { answer = m; });
    child.on('error', (err) => settle(new BenchmarkError(`benchmark process could not start: ${err.message}`, { cause: err })));
    // 'close', not 'exit': 'exit' can come before the IPC channel has delivered the answer the child sent just before
    // exiting (seen as "died (exit code 0)" with 60 agents in one process); 'close' waits for its streams to end.
    child.on('close', (code, sig) => {
      if (answer?.ok) return settle(answer.result);
      if (answer && !answer.ok) return settle(answer.kind === 'load' ? new ModelLoadError(answer.message) : new BenchmarkError(answer.message));
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      settle(new BenchmarkError(`benchmark process died (${sig ?? `exit code ${code}`}) while running the model${tail ? `: ${tail}` : ''}`));
    });
    child.send(payload);
  });
}
