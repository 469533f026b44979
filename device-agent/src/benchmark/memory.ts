import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { inferenceSessionOptions } from '@edgefleet/contracts';

const MB = 1024 * 1024;

/**
 * Peak growth of the process' resident memory while a model is loaded and run: the larger of the sampled
 * RSS growth over the baseline and the kernel's maxRSS growth (which catches peaks between samples, but
 * only when they exceed every earlier peak of the process). Reported in MB.
 */
export class RssMeter {
  private readonly baseline = process.memoryUsage.rss();
  private readonly maxRssBeforeKb = process.resourceUsage().maxRSS;
  private peak = this.baseline;

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  peakMb(): number {
    this.sample();
    const sampled = (this.peak - this.baseline) / MB;
    const kernel = (process.resourceUsage().maxRSS - this.maxRssBeforeKb) / 1024;
    return Math.round(Math.max(0, sampled, kernel) * 100) / 100;
  }
}

/**
 * An ONNX model with one Identity node (84 bytes, built with onnx-proto; benchmark.spec.ts checks it still loads).
 * The agent carries no model builder, so the bytes are inlined.
 */
const PROBE_MODEL = Buffer.from('CAgSCWVkZ2VmbGVldDo/ChQKAXgSAXkaAmlkIghJZGVudGl0eRIFcHJvYmVaDwoBeBIKCggIARIECgIIAWIPCgF5EgoKCAgBEgQKAggBQgQKABAR', 'base64');

/**
 * The process' RSS, MB, with the runtime loaded and no model: onnxruntime's library, its environment and one
 * session's thread pool exist (a session of the probe model with the benchmark's thread options was created and
 * run once, then released). What a model's benchmark adds on top of this is the model's own memory — session,
 * arena, weights — which is what the `maxMemoryMb` gate and the selection's memory predictions mean
 * (docs/models.md, "Memory").
 */
export async function runtimeBaselineMb(threads: number): Promise<number> {
  const session = await ort.InferenceSession.create(PROBE_MODEL, inferenceSessionOptions(threads));
  try {
    await session.run({ x: new ort.Tensor('float32', new Float32Array([1]), [1]) });
  } finally {
    await session.release();
  }
  return process.memoryUsage.rss() / MB;
}

/**
 * This process' resident-memory high-water mark, MB. Linux's VmHWM belongs to the process image, so it starts
 * afresh at exec; getrusage's maxRSS does not (it keeps the parent's peak from before the fork) and would report
 * the agent's size instead of the model's. Elsewhere the current RSS is the best available lower bound.
 */
export function processPeakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.memoryUsage.rss() / MB;
}
