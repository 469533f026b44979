import * as ort from 'onnxruntime-node';
import { Prng } from '@edgefleet/toolkit';
import type { InputSpec, InputSpecEntry } from '@edgefleet/contracts';
import { BenchmarkError } from '../lib/errors';
import { toFloat16Bits } from './float16';

/** Deterministic inputs: the same model gets the same synthetic inputs on every device (the project's one generator). */
export const seededRandom = (seed = 0x5eed): (() => number) => new Prng(seed).uniform();

/** Symbolic (`'batch'`), unknown (-1) or zero dims become `fill` (1 by default): one sample. */
export function concreteShape(shape: ReadonlyArray<number | string>, fill = 1): number[] {
  return shape.map((d) => (typeof d === 'number' && d > 0 ? d : fill));
}

/**
 * A tensor of `type` and `dims` with harmless values: floats in [-1, 1), integers 0/1 (valid as indices,
 * masks and token ids), booleans alternating, strings "x". Any dtype onnxruntime accepts as input.
 */
export function synthesizeTensor(type: string, dims: readonly number[], random: () => number = seededRandom()): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const d = [...dims];
  const float = () => random() * 2 - 1;
  const small = () => (random() < 0.5 ? 0 : 1);
  switch (type) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from({ length: n }, float), d);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from({ length: n }, float), d);
    case 'float16':
      return new ort.Tensor('float16', Uint16Array.from({ length: n }, () => toFloat16Bits(float())), d);
    case 'int8':
      return new ort.Tensor('int8', Int8Array.from({ length: n }, small), d);
    case 'uint8':
      return new ort.Tensor('uint8', Uint8Array.from({ length: n }, small), d);
    case 'int16':
      return new ort.Tensor('int16', Int16Array.from({ length: n }, small), d);
    case 'uint16':
      return new ort.Tensor('uint16', Uint16Array.from({ length: n }, small), d);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from({ length: n }, small), d);
    case 'uint32':
      return new ort.Tensor('uint32', Uint32Array.from({ length: n }, small), d);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(small())), d);
    case 'uint64':
      return new ort.Tensor('uint64', BigUint64Array.from({ length: n }, () => BigInt(small())), d);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from({ length: n }, (_, i) => i & 1), d);
    case 'string':
      return new ort.Tensor('string', Array.from({ length: n }, () => 'x'), d);
    case 'int4':
      return new ort.Tensor('int4', new Int8Array(Math.ceil(n / 2)), d);
    case 'uint4':
      return new ort.Tensor('uint4', new Uint8Array(Math.ceil(n / 2)), d);
    default:
      throw new BenchmarkError(`cannot synthesize an input of type ${type}`);
  }
}

/** A tensor of `type` and `dims` holding `values` (one value repeated, or one per element), cast to the type. */
export function constantTensor(type: string, dims: readonly number[], values: number | readonly number[]): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const at = typeof values === 'number' ? () => values : (i: number) => values[i]!;
  if (typeof values !== 'number' && values.length !== n) throw new BenchmarkError(`${values.length} values for a tensor of shape [${dims.join(', ')}]`);
  const d = [...dims];
  switch (type) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => at(i)), d);
    case 'float64': return new ort.Tensor('float64', Float64Array.from({ length: n }, (_, i) => at(i)), d);
    case 'float16': return new ort.Tensor('float16', Uint16Array.from({ length: n }, (_, i) => toFloat16Bits(at(i))), d);
    case 'int8': return new ort.Tensor('int8', Int8Array.from({ length: n }, (_, i) => at(i)), d);
    case 'uint8': return new ort.Tensor('uint8', Uint8Array.from({ length: n }, (_, i) => at(i)), d);
    case 'int16': return new ort.Tensor('int16', Int16Array.from({ length: n }, (_, i) => at(i)), d);
    case 'uint16': return new ort.Tensor('uint16', Uint16Array.from({ length: n }, (_, i) => at(i)), d);
    case 'int32': return new ort.Tensor('int32', Int32Array.from({ length: n }, (_, i) => at(i)), d);
    case 'uint32': return new ort.Tensor('uint32', Uint32Array.from({ length: n }, (_, i) => at(i)), d);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(at(i)))), d);
    case 'uint64': return new ort.Tensor('uint64', BigUint64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(at(i)))), d);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from({ length: n }, (_, i) => (at(i) ? 1 : 0)), d);
    default: throw new BenchmarkError(`cannot give an input of type ${type} a value`);
  }
}

/** The tensor an input spec entry describes (docs/models.md, "Input specifications"). */
function specTensor(type: string, dims: number[], e: InputSpecEntry, random: () => number): ort.Tensor {
  if (e.value !== undefined) return constantTensor(type, dims, e.value);
  const n = dims.reduce((a, b) => a * b, 1);
  if (e.range) {
    const [lo, hi] = e.range;
    const integer = !type.startsWith('float');
    return constantTensor(type, dims, Array.from({ length: n }, () => (integer ? Math.floor(lo + random() * (hi - lo)) : lo + random() * (hi - lo))));
  }
  if (e.fill === 'zeros') return constantTensor(type, dims, 0);
  return synthesizeTensor(type, dims, random);
}

/** Inputs fed back from an output after each run: input name → output name. */
export type StateLinks = ReadonlyArray<{ input: string; output: string }>;

/**
 * One feed for every input of the session, from its own metadata and the model's input spec (which wins where it
 * speaks), and the state links the spec declares.
 */
export function synthesizeFeeds(
  session: ort.InferenceSession,
  random: () => number = seededRandom(),
  spec?: InputSpec,
): { feeds: Record<string, ort.Tensor>; state: StateLinks } {
  const feeds: Record<string, ort.Tensor> = {};
  const state: Array<{ input: string; output: string }> = [];
  const entries = spec?.inputs ?? {};
  for (const name of Object.keys(entries)) {
    if (!session.inputNames.includes(name)) throw new BenchmarkError(`input spec names input "${name}", the model has ${session.inputNames.join(', ')}`);
  }
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) throw new BenchmarkError(`input ${meta.name} is not a tensor (sequences/maps are not supported)`);
    const e = entries[meta.name];
    const dims = e?.shape ?? concreteShape(meta.shape);
    feeds[meta.name] = e ? specTensor(meta.type, dims, e, random) : synthesizeTensor(meta.type, dims, random);
    if (e?.stateFrom !== undefined) {
      if (!session.outputNames.includes(e.stateFrom)) throw new BenchmarkError(`input "${meta.name}" takes its state from output "${e.stateFrom}", the model has ${session.outputNames.join(', ')}`);
      state.push({ input: meta.name, output: e.stateFrom });
    }
  }
  return { feeds, state };
}
