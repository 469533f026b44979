import { Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { InferenceSession } from 'onnxruntime-node';
import { FEATURIZER_METADATA_KEY, INPUT_SPEC_METADATA_KEY, featurizerProblem, inputSpecProblems, readModelSignature, type FeaturizerSpec, type InputSpec, type TensorInfo } from '@edgefleet/contracts';
import { countMacs, loadModelInfo, modelMetadata } from '@edgefleet/onnx';
import { UnprocessableError } from '@edgefleet/platform';

export interface InspectedModel {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Counted from the initializers; left out for very large files (decoding them twice costs memory). */
  params?: number;
  /**
   * Multiply-accumulates per sample, counted from the graph once here (selection's latency model needs them, and
   * reading a catalogue must not write to it). Left out with params, or when the graph cannot be followed.
   */
  macs?: number;
  /** Text models: the featurizer spec in the model's metadata (validated: an unknown one is refused). */
  featurizer?: FeaturizerSpec;
  /** The input spec in the model's metadata (INPUT_SPEC_METADATA_KEY), validated. */
  inputSpec?: InputSpec;
}

/** Above this size the protobuf is not decoded a second time just to count parameters. */
const PARAM_COUNT_MAX_BYTES = 256 * 1024 * 1024;


/**
 * Proves an upload is a model the devices can run by loading it in onnxruntime (the same runtime the agent
 * uses) and reads its inputs and outputs from the session. Anything onnxruntime refuses is a 422 with its reason.
 */
@Injectable()
export class ModelInspector {
  async inspect(path: string, size: number): Promise<InspectedModel> {
    const inspected: InspectedModel = await readModelSignature(
      // No graph optimisation: we only need the signature, and loading should stay cheap.
      () => InferenceSession.create(path, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1 }),
      // onnxruntime names the file it was given: the staged upload's server path is nobody's business.
      (reason) => new UnprocessableError(reason.split(path).join('the uploaded file')),
    );
    if (size <= PARAM_COUNT_MAX_BYTES) {
      const bytes = await readFile(path);
      Object.assign(inspected, countCosts(bytes));
      const featurizer = featurizerOf(bytes);
      if (featurizer) inspected.featurizer = featurizer;
      const inputSpec = inputSpecOf(bytes);
      if (inputSpec) inspected.inputSpec = inputSpec;
    }
    return inspected;
  }
}

function countCosts(bytes: Uint8Array): { params: number; macs?: number } {
  const params = loadModelInfo(bytes).parameterCount;
  try {
    return { params, macs: countMacs(bytes).macs };
  } catch {
    // onnxruntime runs it, so it is a model; an op the counter does not follow leaves selection to count later.
    return { params };
  }
}

/**
 * A JSON value the model carries in its metadata under `key`, checked by `problemOf`; one the devices could not use
 * is a 422 now, not a failure on every device later.
 */
function metadataJson<T>(bytes: Uint8Array, key: string, problemOf: (v: unknown) => string | undefined): T | undefined {
  const raw = modelMetadata(bytes)[key];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UnprocessableError(`model metadata ${key} is not JSON`);
  }
  const problem = problemOf(parsed);
  if (problem) throw new UnprocessableError(`model metadata ${key}: ${problem}`);
  return parsed as T;
}

/** The featurizer a text model names in its metadata. */
const featurizerOf = (bytes: Uint8Array) => metadataJson<FeaturizerSpec>(bytes, FEATURIZER_METADATA_KEY, featurizerProblem);

/** The input spec a model carries in its metadata. */
const inputSpecOf = (bytes: Uint8Array) => metadataJson<InputSpec>(bytes, INPUT_SPEC_METADATA_KEY, (v) => inputSpecProblems(v).join('; ') || undefined);
