import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { Prng } from '@edgefleet/toolkit';
import type { LatencyStats } from '@edgefleet/contracts';
import { runBenchmarkIsolated, type IsolatedBenchmarkOptions, type IsolatedBenchmarkResult } from '../benchmark/isolated';
import { AbortedError, isTerminal } from '../lib/errors';

export type BenchmarkRunner = (o: IsolatedBenchmarkOptions) => Promise<IsolatedBenchmarkResult>;

/** What a gate fault does to a measurement: misses every gate a deployment can set. */
const GATE_FAULT_FACTOR = 1000;

/**
 * The benchmark of a simulated fleet: each (class, model, eval set) is measured once for real with onnxruntime (the
 * agent's own isolated benchmark, with the class's threads and slowdown), and every device of the class reports that
 * measurement with its own seeded noise: latencies × exp(σ·N(0,1)), throughput ÷ the same factor. A thousand
 * devices then cost a handful of benchmarks instead of a thousand, and the numbers stay those of the model.
 */
export class ClassBenchmarks {
  private readonly measured = new Map<string, Promise<IsolatedBenchmarkResult>>();
  /** Real measurements taken (one per class and model while nothing fails). */
  measurements = 0;

  constructor(private readonly opts: { seed: number; noise: number; measure?: BenchmarkRunner }) {}

  /** The runner one device uses; `gateFault` makes it miss every gate. */
  runnerFor(deviceId: string, className: string, gateFault: boolean): BenchmarkRunner {
    const prng = new Prng(seedOf(this.opts.seed, deviceId));
    return async (o) => {
      const base = await abortable(this.measure(className, o), o.signal);
      const f = Math.exp(this.opts.noise * prng.normal()) * (gateFault ? GATE_FAULT_FACTOR : 1);
      return {
        ...base,
        latency: scaleLatency(base.latency, f),
        throughputPerSec: base.throughputPerSec / f,
        ...(gateFault && {
          peakRssMb: base.peakRssMb * GATE_FAULT_FACTOR, modelMemoryMb: base.modelMemoryMb * GATE_FAULT_FACTOR, ...(base.accuracy !== undefined && { accuracy: 0 }),
        }),
      };
    };
  }

  private measure(className: string, o: IsolatedBenchmarkOptions): Promise<IsolatedBenchmarkResult> {
    // Objects are stored under their sha256, so the file name names the model (and eval set) for every device.
    const key = `${className}\0${basename(o.modelPath)}\0${o.evalSetPath ? basename(o.evalSetPath) : ''}`;
    let p = this.measured.get(key);
    if (!p) {
      // Not tied to the first device's signal: its abort must not fail the class's other devices.
      const { signal: _signal, ...job } = o;
      this.measurements++;
      p = (this.opts.measure ?? runBenchmarkIsolated)(job);
      this.measured.set(key, p);
      // A transient failure (the host busy, the child killed) is measured again by the next device; a terminal one
      // (the model does not load) is the model's and stays.
      p.catch((err: unknown) => {
        if (!isTerminal(err)) this.measured.delete(key);
      });
    }
    return p;
  }
}

const scaleLatency = (l: LatencyStats, f: number): LatencyStats => ({
  p50Ms: l.p50Ms * f, p95Ms: l.p95Ms * f, p99Ms: l.p99Ms * f, meanMs: l.meanMs * f, minMs: l.minMs * f, maxMs: l.maxMs * f,
});

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new AbortedError('benchmark aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError('benchmark aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A 32-bit seed per device, from the fleet's seed and the device id. */
export function seedOf(seed: number, deviceId: string): number {
  return createHash('sha256').update(`${seed}\0${deviceId}`).digest().readUInt32LE(0);
}
