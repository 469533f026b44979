import * as ort from 'onnxruntime-node';
import { Network } from '../model/network';
import { size } from '../layers/layer';
import { buildEvalGraph, buildTrainGraph, names } from '../graph/graphs';
import { OptimizerConfig, stateSlots } from '../graph/optimizer';

export interface TrainerOptions {
  optimizer: OptimizerConfig;
  /** Train against teacher logits (KD term) as well as labels. */
  distill: boolean;
  temperature: number;
  seed: number;
  /** onnxruntime intra-op threads; 1 makes runs bit-reproducible. */
  threads: number;
}

/** One mini-batch as the training graph takes it. */
export interface Batch {
  n: number;
  x: Float32Array;
  /** One-hot labels, n × K. */
  target: Float32Array;
  /** n weights of the hard-label term. */
  ceWeight: Float32Array;
  teacher?: Float32Array;
  kdWeight?: Float32Array;
}

/** A value living in two buffers: the step reads one and writes the other, then they swap. */
interface PingPong {
  input: string;
  output: string;
  cur: ort.Tensor;
  next: ort.Tensor;
}

/**
 * Holds the training and evaluation sessions of one network and its live weights. Weights never
 * leave onnxruntime tensors between steps: each step's outputs are written into preallocated
 * buffers that become the next step's inputs.
 */
export class Trainer {
  private step_ = 0;

  private constructor(
    readonly net: Network,
    private readonly opts: TrainerOptions,
    private readonly train: ort.InferenceSession,
    private readonly evalSession: ort.InferenceSession,
    private readonly values: PingPong[],
  ) {}

  static async create(net: Network, opts: TrainerOptions, initial?: Map<string, Float32Array>): Promise<Trainer> {
    const sessionOpts: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: opts.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // No spin-waiting between ops: on a shared 2-core machine a spinning worker competes with the
      // thread that has the work (A/B at load ~4: cnn:8-16-32 9.0k vs 5.1k samples/s, mlp:256 77k vs 47k).
      ...(opts.threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    };
    const [train, evalSession] = await Promise.all([
      ort.InferenceSession.create(buildTrainGraph(net, opts), sessionOpts),
      ort.InferenceSession.create(buildEvalGraph(net), sessionOpts),
    ]);
    const params = initial ?? net.initParams(opts.seed);
    const values: PingPong[] = [];
    const pair = (input: string, output: string, shape: number[], data: Float32Array): PingPong => ({
      input,
      output,
      cur: new ort.Tensor('float32', Float32Array.from(data), shape),
      next: new ort.Tensor('float32', new Float32Array(size(shape)), shape),
    });
    for (const p of net.params) {
      values.push(pair(names.param(p.name), names.paramNext(p.name), p.shape, params.get(p.name)!));
      for (const s of stateSlots(opts.optimizer)) values.push(pair(names.state(s, p.name), names.stateNext(s, p.name), p.shape, new Float32Array(size(p.shape))));
    }
    return new Trainer(net, opts, train, evalSession, values);
  }

  get steps(): number {
    return this.step_;
  }

  /** Runs one optimizer step; returns the batch loss. */
  async step(b: Batch, lr: number): Promise<number> {
    this.step_++;
    const K = this.net.numClasses;
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor('float32', b.x, [b.n, ...this.net.sampleShape]),
      target: new ort.Tensor('float32', b.target, [b.n, K]),
      ce_weight: new ort.Tensor('float32', b.ceWeight, [b.n, 1]),
      lr: new ort.Tensor('float32', Float32Array.of(lr), []),
    };
    if (this.opts.distill) {
      feeds['teacher'] = new ort.Tensor('float32', b.teacher!, [b.n, K]);
      feeds['kd_weight'] = new ort.Tensor('float32', b.kdWeight!, [b.n, 1]);
    }
    if (this.opts.optimizer.name === 'adamw') {
      const t = this.step_;
      const bc1 = 1 / (1 - (this.opts.optimizer.beta1 ?? 0.9) ** t);
      const bc2 = 1 / (1 - (this.opts.optimizer.beta2 ?? 0.999) ** t);
      feeds['lr_bc1'] = new ort.Tensor('float32', Float32Array.of(lr * bc1), []);
      feeds['sqrt_bc2'] = new ort.Tensor('float32', Float32Array.of(Math.sqrt(bc2)), []);
    }
    const fetches: Record<string, ort.Tensor | null> = { loss: null };
    for (const v of this.values) {
      feeds[v.input] = v.cur;
      fetches[v.output] = v.next;
    }
    const out = await this.train.run(feeds, fetches);
    for (const v of this.values) [v.cur, v.next] = [v.next, v.cur];
    return (out['loss']!.data as Float32Array)[0]!;
  }

  /** Logits for n samples, evaluated in chunks with the current weights. */
  async predict(x: Float32Array, n: number, chunk = 1000): Promise<Float32Array> {
    const F = size(this.net.sampleShape);
    const K = this.net.numClasses;
    const out = new Float32Array(n * K);
    const feeds: Record<string, ort.Tensor> = {};
    for (const v of this.values) if (v.input.startsWith('p.')) feeds[v.input] = v.cur;
    for (let i = 0; i < n; i += chunk) {
      const m = Math.min(chunk, n - i);
      feeds['input'] = new ort.Tensor('float32', x.subarray(i * F, (i + m) * F), [m, ...this.net.sampleShape]);
      const r = await this.evalSession.run(feeds);
      out.set(r['logits']!.data as Float32Array, i * K);
    }
    return out;
  }

  /** A copy of the current parameters (for early stopping and export). */
  snapshot(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const p of this.net.params) {
      const v = this.values.find((x) => x.input === names.param(p.name))!;
      out.set(p.name, Float32Array.from(v.cur.data as Float32Array));
    }
    return out;
  }

  /** Replaces the parameters (optimizer state is kept). */
  restore(params: Map<string, Float32Array>): void {
    for (const p of this.net.params) {
      const v = this.values.find((x) => x.input === names.param(p.name))!;
      (v.cur.data as Float32Array).set(params.get(p.name)!);
    }
  }

  async release(): Promise<void> {
    await Promise.all([this.train.release(), this.evalSession.release()]);
  }
}
