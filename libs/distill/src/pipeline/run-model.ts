import * as ort from 'onnxruntime-node';
import { inferenceSessionOptions } from '@edgefleet/contracts';
import { float16BitsToFloat32, float32ToFloat16Bits, loadModelInfo, TensorInfo } from '@edgefleet/onnx';
import { DistillConfigError } from '../errors';
import { percentile } from '../train/metrics';

/** A classifier .onnx opened for batch scoring, with its input checked against the data's samples. */
export class OnnxClassifier {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly input: TensorInfo,
    private readonly inputDims: number[],
    readonly numClasses: number,
  ) {}

  /**
   * Fits if the model takes one float tensor [batch, …] whose per-sample size equals the data's
   * (a flat 784 row feeds a [1, 28, 28] model and vice versa) and outputs [batch, numClasses].
   */
  static async open(bytes: Uint8Array, sampleShape: number[], numClasses: number, threads = 1, what = 'model'): Promise<OnnxClassifier> {
    const info = loadModelInfo(bytes);
    const features = sampleShape.reduce((a, b) => a * b, 1);
    const input = info.inputs[0];
    if (info.inputs.length !== 1 || !input) {
      throw new DistillConfigError(`${what} must take exactly one input, it takes ${info.inputs.length} (${info.inputs.map((i) => i.name).join(', ')})`);
    }
    if (input.dtype !== 'float32' && input.dtype !== 'float16') throw new DistillConfigError(`${what} input "${input.name}" is ${input.dtype}, expected float32`);
    const rest = input.dims.slice(1);
    const fixed = rest.every((d): d is number => typeof d === 'number');
    const perSample = fixed ? rest.reduce((a, b) => a * b, 1) : NaN;
    if (!fixed || perSample !== features) {
      throw new DistillConfigError(
        `${what} expects input "${input.name}" [${input.dims.join(', ')}] (${fixed ? perSample : 'unknown'} values per sample), ` +
        `data samples are [${sampleShape.join(', ')}] (${features} values)`);
    }
    const out = info.outputs[0];
    const k = out?.dims[out.dims.length - 1];
    if (!out || (typeof k === 'number' && k !== numClasses)) {
      throw new DistillConfigError(`${what} outputs [${out?.dims.join(', ') ?? 'nothing'}], expected [batch, ${numClasses}] class scores`);
    }
    const session = await ort.InferenceSession.create(bytes, inferenceSessionOptions(threads));
    return new OnnxClassifier(session, input, rest as number[], numClasses);
  }

  private feed(x: Float32Array, m: number): Record<string, ort.Tensor> {
    const t = this.input.dtype === 'float16'
      ? new ort.Tensor('float16', Uint16Array.from(x, float32ToFloat16Bits), [m, ...this.inputDims])
      : new ort.Tensor('float32', x, [m, ...this.inputDims]);
    return { [this.input.name]: t };
  }

  /** Scores n samples; returns n × numClasses float32 logits. */
  async logits(x: Float32Array, n: number, chunk = 1000): Promise<Float32Array> {
    const F = this.inputDims.reduce((a, b) => a * b, 1);
    const K = this.numClasses;
    const out = new Float32Array(n * K);
    const name = this.session.outputNames[0]!;
    for (let i = 0; i < n; i += chunk) {
      const m = Math.min(chunk, n - i);
      const r = (await this.session.run(this.feed(x.subarray(i * F, (i + m) * F), m)))[name]!;
      if (r.dims[r.dims.length - 1] !== K || r.data.length !== m * K) {
        throw new DistillConfigError(`model output has shape [${r.dims.join(', ')}], expected [${m}, ${K}]`);
      }
      out.set(r.type === 'float16' ? Float32Array.from(r.data as Uint16Array, float16BitsToFloat32) : (r.data as Float32Array), i * K);
    }
    return out;
  }

  /** Batch-1 latency: median (and p95) over `runs` single-sample inferences after a warm-up. */
  async latency(sample: Float32Array, runs = 200): Promise<{ p50Ms: number; p95Ms: number }> {
    const feeds = this.feed(sample, 1);
    for (let i = 0; i < 20; i++) await this.session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await this.session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return { p50Ms: percentile(times, 50), p95Ms: percentile(times, 95) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Batch-1 p50 of several models measured in alternation on one sample: `rounds` rounds, each timing every model
 * (`runs` inferences after a warm-up, the order rotated per round), and the median of each model's per-round p50s.
 * On a loaded machine the alternation spreads the noise evenly, so the ratio between models holds where single
 * back-to-back measurements do not.
 */
export async function compareLatency(
  models: readonly OnnxClassifier[], sample: Float32Array, opts: { rounds?: number; runs?: number } = {},
): Promise<number[]> {
  const rounds = opts.rounds ?? 7;
  const perRound = models.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < models.length; k++) {
      const i = (k + r) % models.length;
      perRound[i]!.push((await models[i]!.latency(sample, opts.runs ?? 50)).p50Ms);
    }
  }
  return perRound.map((xs) => percentile(xs, 50));
}
