import { Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { InferenceSession } from 'onnxruntime-node';
import type { TensorInfo } from '@edgefleet/contracts';
import { loadModelInfo } from '@edgefleet/onnx';
import { UnprocessableError } from '../common/errors';

export interface InspectedModel {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Counted from the initializers; left out for very large files (decoding them twice costs memory). */
  params?: number;
}

/** Above this size the protobuf is not decoded a second time just to count parameters. */
const PARAM_COUNT_MAX_BYTES = 256 * 1024 * 1024;

const tensorInfo = (m: InferenceSession.ValueMetadata): TensorInfo =>
  m.isTensor ? { name: m.name, type: m.type, dims: [...m.shape] } : { name: m.name, type: 'non-tensor', dims: [] };

/**
 * Proves an upload is a model the devices can run by loading it in onnxruntime (the same runtime the agent
 * uses) and reads its inputs and outputs from the session. Anything onnxruntime refuses is a 422 with its reason.
 */
@Injectable()
export class ModelInspector {
  async inspect(path: string, size: number): Promise<InspectedModel> {
    let session: InferenceSession;
    try {
      // No graph optimisation: we only need the signature, and loading should stay cheap.
      session = await InferenceSession.create(path, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (err) {
      // onnxruntime names the file it was given: the staged upload's server path is nobody's business.
      throw new UnprocessableError(`not a model onnxruntime can load: ${firstLine(err).split(path).join('the uploaded file')}`);
    }
    try {
      const inspected: InspectedModel = {
        inputs: session.inputMetadata.map(tensorInfo),
        outputs: session.outputMetadata.map(tensorInfo),
      };
      if (size <= PARAM_COUNT_MAX_BYTES) inspected.params = await this.countParams(path);
      return inspected;
    } finally {
      await session.release();
    }
  }

  private async countParams(path: string): Promise<number> {
    return loadModelInfo(await readFile(path)).parameterCount;
  }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 500);
}
