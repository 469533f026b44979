import type { TensorInfo } from './profile';
import { SPARSE_INPUTS } from './text-featurizer';

/**
 * What a model's inputs need for a benchmark without real data (docs/models.md, "Input specifications"). Given at
 * upload (`inputSpec` field of `POST /api/v1/models`) or in the model's ONNX metadata under INPUT_SPEC_METADATA_KEY,
 * stored with the model and signed into every desired state, so the device builds exactly these inputs.
 *
 *   {"inputs": {"input": {"shape": [1, 512]}, "sr": {"value": 16000}, "state": {"shape": [2, 1, 128], "fill": "zeros", "stateFrom": "stateN"}}}
 *
 * Per input: `shape` fixes every dimension (symbolic ones included), `value` a constant scalar (repeated) or the
 * whole array, `range` [min, max) for random values, `fill` how the rest is synthesised, and `stateFrom` an output
 * whose value is fed back into this input on the next run (a recurrent state; the first run uses `fill`/`value`).
 */
export interface InputSpecEntry {
  shape?: number[];
  fill?: InputFill;
  value?: number | number[];
  range?: [number, number];
  stateFrom?: string;
}

export interface InputSpec {
  inputs: Record<string, InputSpecEntry>;
}

export const INPUT_FILLS = ['random', 'zeros'] as const;
export type InputFill = (typeof INPUT_FILLS)[number];

/** The ONNX metadata_props key a model may carry its input spec under (JSON, the same shape). */
export const INPUT_SPEC_METADATA_KEY = 'edgefleet.input_spec';

/** Bounds that keep a spec from asking a device for absurd tensors. */
export const INPUT_SPEC_LIMITS = { inputs: 64, rank: 8, elements: 16 * 1024 * 1024, values: 1024 * 1024 } as const;

const ENTRY_KEYS = new Set(['shape', 'fill', 'value', 'range', 'stateFrom']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Everything wrong with `raw` as an input spec (empty when it is one). */
export function inputSpecProblems(raw: unknown): string[] {
  if (!isObject(raw)) return ['inputSpec must be an object {"inputs": {...}}'];
  const problems: string[] = [];
  for (const k of Object.keys(raw)) if (k !== 'inputs') problems.push(`inputSpec: unknown field "${k}" (expected inputs)`);
  const inputs = raw.inputs;
  if (!isObject(inputs)) return [...problems, 'inputSpec.inputs must be an object keyed by input name'];
  const names = Object.keys(inputs);
  if (names.length > INPUT_SPEC_LIMITS.inputs) problems.push(`inputSpec names ${names.length} inputs, at most ${INPUT_SPEC_LIMITS.inputs}`);
  for (const name of names) problems.push(...entryProblems(name, inputs[name]));
  return problems;
}

function entryProblems(name: string, e: unknown): string[] {
  const at = `inputSpec.inputs["${name}"]`;
  if (name.length === 0 || name.length > 256) return [`${at}: input names are 1-256 characters`];
  if (!isObject(e)) return [`${at} must be an object`];
  const problems: string[] = [];
  for (const k of Object.keys(e)) if (!ENTRY_KEYS.has(k)) problems.push(`${at}: unknown field "${k}" (expected ${[...ENTRY_KEYS].join(', ')})`);
  let elements: number | undefined;
  if (e.shape !== undefined) {
    const s = e.shape;
    if (!Array.isArray(s) || s.length > INPUT_SPEC_LIMITS.rank || !s.every((d) => Number.isInteger(d) && (d as number) >= 1)) {
      problems.push(`${at}.shape must be at most ${INPUT_SPEC_LIMITS.rank} positive integers`);
    } else {
      elements = (s as number[]).reduce((a, b) => a * b, 1);
      if (elements > INPUT_SPEC_LIMITS.elements) problems.push(`${at}.shape has ${elements} elements, at most ${INPUT_SPEC_LIMITS.elements}`);
    }
  }
  if (e.fill !== undefined && !(INPUT_FILLS as readonly unknown[]).includes(e.fill)) problems.push(`${at}.fill must be one of ${INPUT_FILLS.join(', ')}`);
  if (e.value !== undefined) {
    const v = e.value;
    const ok = typeof v === 'number' ? Number.isFinite(v)
      : Array.isArray(v) && v.length >= 1 && v.length <= INPUT_SPEC_LIMITS.values && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!ok) problems.push(`${at}.value must be a finite number or a non-empty array of at most ${INPUT_SPEC_LIMITS.values} finite numbers`);
    else if (Array.isArray(v) && elements !== undefined && v.length !== elements) problems.push(`${at}.value has ${v.length} numbers, shape [${(e.shape as number[]).join(', ')}] holds ${elements}`);
  }
  if (e.range !== undefined) {
    const r = e.range;
    if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => typeof x === 'number' && Number.isFinite(x)) || !((r[0] as number) < (r[1] as number))) {
      problems.push(`${at}.range must be [min, max] with min < max`);
    }
  }
  if (e.value !== undefined && e.range !== undefined) problems.push(`${at}: give value or range, not both`);
  if (e.stateFrom !== undefined && (typeof e.stateFrom !== 'string' || e.stateFrom.length === 0 || e.stateFrom.length > 256)) {
    problems.push(`${at}.stateFrom must name an output`);
  }
  return problems;
}

export class InputSpecError extends Error {
  override name = 'InputSpecError';
}

/** `raw` as an InputSpec, or an InputSpecError listing every problem. */
export function parseInputSpec(raw: unknown): InputSpec {
  const problems = inputSpecProblems(raw);
  if (problems.length > 0) throw new InputSpecError(problems.join('; '));
  return raw as InputSpec;
}

/** onnxruntime's metadata of one input or output (structurally: contracts does not load onnxruntime). */
export type RuntimeValueMetadata = { name: string; isTensor: true; type: string; shape: ReadonlyArray<number | string> } | { name: string; isTensor: false };

/** A model input or output as the catalogue stores it and the upload checks see it. */
export const tensorInfoOf = (m: RuntimeValueMetadata): TensorInfo =>
  (m.isTensor ? { name: m.name, type: m.type, dims: [...m.shape] } : { name: m.name, type: 'non-tensor', dims: [] });

/** What reading a signature needs of an onnxruntime session (structurally, as above). */
export interface SignatureSession {
  readonly inputMetadata: readonly RuntimeValueMetadata[];
  readonly outputMetadata: readonly RuntimeValueMetadata[];
  release(): Promise<void>;
}

/**
 * A model's inputs and outputs: `open` loads it (the caller's onnxruntime, with no graph optimisation: only the
 * signature is needed), the session is released afterwards. A model onnxruntime refuses becomes `refuse(reason)`
 * with the first line of onnxruntime's message (at most 500 characters) — the one place the upload check, `eval-set` and `bench-model` read it.
 */
export async function readModelSignature(
  open: () => Promise<SignatureSession>, refuse: (reason: string) => Error,
): Promise<{ inputs: TensorInfo[]; outputs: TensorInfo[] }> {
  let session: SignatureSession;
  try {
    session = await open();
  } catch (err) {
    throw refuse(`not a model onnxruntime can load: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 500)}`);
  }
  try {
    return { inputs: session.inputMetadata.map(tensorInfoOf), outputs: session.outputMetadata.map(tensorInfoOf) };
  } finally {
    await session.release();
  }
}

const INTEGER_TYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

const isFixed = (d: number | string | undefined): d is number => typeof d === 'number' && d > 0;

/**
 * Why a device could not build sensible inputs for this model from its signature and `spec`, one line per input,
 * naming the input and what is missing (empty = benchmarkable). The device sets a symbolic first dimension to 1
 * (one sample) and fills the rest with small values; it cannot guess
 *  - any other dynamic dimension (a window length, a sequence length, a state size): give `shape`;
 *  - an integer scalar (a sample rate, a step count: 0 or 1 would be wrong): give `value` or `range`.
 * The input an eval set feeds takes its dimensions from the samples (`evalInput`). The spec itself must fit the
 * model: names it knows, shapes of the input's rank agreeing with every fixed dimension, outputs that exist.
 */
export function inputSpecGaps(
  model: { inputs: readonly TensorInfo[]; outputs: readonly TensorInfo[] },
  spec: InputSpec | undefined,
  evalInput?: string,
): string[] {
  const gaps: string[] = [];
  const entries = spec?.inputs ?? {};
  // A sparse-layout text model's eval set feeds both of its inputs (indices and weights, text-featurizer.ts).
  const sparsePair: string[] = [SPARSE_INPUTS.indices, SPARSE_INPUTS.weights];
  const fedByEval = new Set(evalInput && sparsePair.includes(evalInput) && sparsePair.every((n) => model.inputs.some((i) => i.name === n)) ? sparsePair : [evalInput]);
  for (const name of Object.keys(entries)) {
    if (!model.inputs.some((i) => i.name === name)) gaps.push(`inputSpec names input "${name}", the model's inputs are ${model.inputs.map((i) => i.name).join(', ')}`);
  }
  for (const input of model.inputs) {
    const e = entries[input.name];
    if (input.type === 'non-tensor') {
      gaps.push(`input "${input.name}" is not a tensor (sequences and maps cannot be synthesised)`);
      continue;
    }
    if (e?.shape) {
      if (e.shape.length !== input.dims.length) gaps.push(`input "${input.name}": inputSpec shape [${e.shape.join(', ')}] has rank ${e.shape.length}, the input [${input.dims.join(', ')}] has rank ${input.dims.length}`);
      else input.dims.forEach((d, i) => {
        if (isFixed(d) && d !== e.shape![i]) gaps.push(`input "${input.name}": inputSpec shape [${e.shape!.join(', ')}] sets dimension ${i} to ${e.shape![i]}, the model fixes it at ${d}`);
      });
    } else if (!fedByEval.has(input.name)) {
      const dynamic = input.dims.map((d, i) => ({ d, i })).filter(({ d, i }) => i > 0 && !isFixed(d));
      if (dynamic.length > 0) {
        gaps.push(`input "${input.name}" [${input.dims.join(', ')}] has dynamic dimension${dynamic.length > 1 ? 's' : ''} ${dynamic.map(({ d, i }) => `${i} (${JSON.stringify(d)})`).join(', ')} besides the batch: give inputSpec.inputs["${input.name}"].shape`);
      }
    }
    const scalar = (e?.shape ?? input.dims).length === 0;
    if (scalar && INTEGER_TYPES.has(input.type) && e?.value === undefined && e?.range === undefined && e?.stateFrom === undefined) {
      gaps.push(`input "${input.name}" is an ${input.type} scalar (a rate, a count, a flag?): give inputSpec.inputs["${input.name}"].value or .range`);
    }
    if (e?.stateFrom !== undefined) {
      const out = model.outputs.find((o) => o.name === e.stateFrom);
      if (!out) gaps.push(`input "${input.name}": stateFrom names output "${e.stateFrom}", the model's outputs are ${model.outputs.map((o) => o.name).join(', ')}`);
      else if (out.type !== input.type) gaps.push(`input "${input.name}" is ${input.type}, its stateFrom output "${out.name}" is ${out.type}`);
    }
  }
  return gaps;
}
