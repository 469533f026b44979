import * as ort from 'onnxruntime-node';
import { SPARSE_INPUTS, featurize, inferenceSessionOptions, featurizeSparse, layoutOf, type FeaturizerSpec } from '@edgefleet/contracts';
import { ModelLoadError, describeError } from '../lib/errors';
import { fromFloat16Bits, toFloat16Array } from '../benchmark/float16';
import { concreteShape } from '../benchmark/input-synthesis';
import { summarizeOutput, type InferenceSummary } from './output-summary';

/** Which model a session runs (what the agent announces as active). */
export interface ServedModel {
  sha256: string;
  name?: string;
  version?: string;
}

/** One input tensor as JSON: its values flat, row-major; `dims` defaults to the model's shape with batch 1. */
export interface JsonTensor {
  data: number[];
  dims?: number[];
}

/** What `infer` takes: tensors by input name, a flat array for a single-input model, or text for a text model. */
export type InferRequest = { inputs: Record<string, JsonTensor> } | { input: number[] } | { text: string };

export interface InferResult {
  model: ServedModel;
  /** First output of the model, flat, with its dims. */
  output: { name: string; dims: number[]; data: number[] };
  summary: InferenceSummary;
  latencyMs: number;
}

/** A request the caller got wrong (HTTP 400); anything else is the model's or the runtime's fault (500). */
export class InferInputError extends Error {}
/** No model is active yet (HTTP 503). */
export class NoModelError extends Error {}

interface Loaded {
  model: ServedModel;
  session: ort.InferenceSession;
  featurizer?: FeaturizerSpec;
  inFlight: number;
  retired: boolean;
}

export interface InferenceObserver {
  /** `classes`: values in the output's first row. */
  onInference(model: ServedModel, latencyMs: number, summary: InferenceSummary, classes: number): void;
  onError(model: ServedModel | undefined): void;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Serves the active model. `activate` loads the new session first and then swaps one reference: a request
 * takes the session current when it starts and finishes on it; the old session is released when its last
 * request is done. No request fails because of a switch.
 */
export class ModelServer {
  private current?: Loaded;
  private switching: Promise<void> = Promise.resolve();

  constructor(private readonly opts: { threads?: number; observer?: InferenceObserver } = {}) {}

  /** Who is told of every inference (the agent's telemetry); set once. */
  observe(observer: InferenceObserver): void {
    this.opts.observer = observer;
  }

  get model(): ServedModel | undefined {
    return this.current?.model;
  }

  /** Loads `modelPath` and makes it the served model; resolves once new requests go to it. Serialised. */
  activate(model: ServedModel, modelPath: string, featurizer?: FeaturizerSpec): Promise<void> {
    const next = this.switching.then(async () => {
      if (this.current?.model.sha256 === model.sha256) return;
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(modelPath, inferenceSessionOptions(this.opts.threads ?? 1));
      } catch (err) {
        throw new ModelLoadError(`onnxruntime could not load the model: ${describeError(err, 1500)}`, { cause: err });
      }
      const old = this.current;
      this.current = { model, session, featurizer, inFlight: 0, retired: false };
      if (old) this.retire(old);
    });
    this.switching = next.catch(() => undefined);
    return next;
  }

  /** Stops serving; sessions are released once their requests finished. */
  async close(): Promise<void> {
    await this.switching;
    const old = this.current;
    this.current = undefined;
    if (old) this.retire(old);
  }

  async infer(req: InferRequest): Promise<InferResult> {
    const loaded = this.current;
    if (!loaded) {
      this.opts.observer?.onError(undefined);
      throw new NoModelError('no model is active on this device yet');
    }
    loaded.inFlight++;
    try {
      const feeds = feedsFor(loaded, req);
      const t0 = nowMs();
      const out = await loaded.session.run(feeds);
      const latencyMs = nowMs() - t0;
      const name = loaded.session.outputNames[0]!;
      const tensor = out[name]!;
      const data = numbersOf(tensor);
      const summary = summarizeOutput(data, tensor.dims.length > 1 ? tensor.dims[0] : 1);
      this.opts.observer?.onInference(loaded.model, latencyMs, summary, tensor.dims.length > 1 ? data.length / tensor.dims[0]! : data.length);
      return { model: loaded.model, output: { name, dims: [...tensor.dims], data }, summary, latencyMs };
    } catch (err) {
      this.opts.observer?.onError(loaded.model);
      throw err;
    } finally {
      loaded.inFlight--;
      if (loaded.retired && loaded.inFlight === 0) void loaded.session.release();
    }
  }

  /** The model's input metadata (load drivers synthesize inputs from it). */
  inputMetadata(): readonly ort.InferenceSession.ValueMetadata[] {
    return this.current?.session.inputMetadata ?? [];
  }

  private retire(l: Loaded): void {
    l.retired = true;
    if (l.inFlight === 0) void l.session.release();
  }
}

function feedsFor(l: Loaded, req: InferRequest): Record<string, ort.Tensor> {
  const metas = l.session.inputMetadata;
  if (typeof req !== 'object' || req === null) throw new InferInputError('body must be a JSON object');
  if ('text' in req) {
    if (typeof req.text !== 'string') throw new InferInputError('text must be a string');
    if (!l.featurizer) throw new InferInputError('the active model takes tensors, not text (it has no featurizer)');
    if (layoutOf(l.featurizer) === 'sparse') {
      const f = featurizeSparse(l.featurizer, req.text);
      // An empty text has no n-grams: one padding entry (weight 0) keeps the shapes valid.
      const n = Math.max(1, f.indices.length);
      return {
        [SPARSE_INPUTS.indices]: new ort.Tensor('int32', f.indices.length ? f.indices : new Int32Array(1), [1, n]),
        [SPARSE_INPUTS.weights]: new ort.Tensor('float32', f.values.length ? f.values : new Float32Array(1), [1, n]),
      };
    }
    return { [metas[0]!.name]: tensorFor(metas[0]!, { data: Array.from(featurize(l.featurizer, req.text)) }) };
  }
  if ('input' in req) {
    if (metas.length !== 1) throw new InferInputError(`the model has ${metas.length} inputs: send "inputs" by name (${l.session.inputNames.join(', ')})`);
    return { [metas[0]!.name]: tensorFor(metas[0]!, { data: req.input }) };
  }
  if (!('inputs' in req) || typeof req.inputs !== 'object' || req.inputs === null) throw new InferInputError('send "inputs", "input" or "text"');
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of metas) {
    const t = (req.inputs as Record<string, JsonTensor>)[meta.name];
    if (!t) throw new InferInputError(`missing input ${meta.name}`);
    feeds[meta.name] = tensorFor(meta, t);
  }
  return feeds;
}

function tensorFor(meta: ort.InferenceSession.ValueMetadata, t: JsonTensor): ort.Tensor {
  if (!meta.isTensor) throw new InferInputError(`input ${meta.name} is not a tensor`);
  if (!Array.isArray(t.data) || !t.data.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new InferInputError(`input ${meta.name}: data must be an array of finite numbers`);
  const dims = t.dims ?? concreteShape(meta.shape);
  if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && d > 0)) throw new InferInputError(`input ${meta.name}: dims must be positive integers`);
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) throw new InferInputError(`input ${meta.name}: ${t.data.length} values for dims [${dims}] (${n} expected)`);
  switch (meta.type) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from(t.data), dims);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(t.data), dims);
    case 'float16': return new ort.Tensor('float16', toFloat16Array(Float32Array.from(t.data)), dims);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(t.data), dims);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(t.data, (v) => BigInt(Math.trunc(v))), dims);
    case 'uint8': return new ort.Tensor('uint8', Uint8Array.from(t.data), dims);
    case 'int8': return new ort.Tensor('int8', Int8Array.from(t.data), dims);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from(t.data, (v) => (v ? 1 : 0)), dims);
    default: throw new InferInputError(`input ${meta.name} has type ${meta.type}, which JSON input does not support`);
  }
}

function numbersOf(t: ort.Tensor): number[] {
  const d = t.data;
  if (t.type === 'float16') return Array.from(d as Uint16Array, fromFloat16Bits);
  if (typeof d[0] === 'string') throw new Error(`output is ${t.type}, not numbers`);
  return Array.from(d as ArrayLike<number | bigint>, Number);
}
