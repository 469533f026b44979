import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart'; // request.parts() / isMultipart() typings
import { InvalidInputError, multipartFailure } from '@edgefleet/platform';
import type { ArtifactStore, StagedObject } from '@edgefleet/platform';

export interface ModelUploadParts {
  fields: Record<string, string>;
  model?: StagedObject;
  evalSet?: StagedObject;
}

const FILE_FIELDS = ['file', 'evalSet'] as const;

/**
 * Reads the multipart upload: the model and the eval set stream to staged files in the artifact store (never
 * whole in memory), text fields are collected for DTO validation. Every part is consumed even
 * after a problem, so the client gets a clean answer instead of a reset connection. On any failure the staged
 * model is discarded.
 */
export async function readModelUpload(
  req: FastifyRequest,
  store: ArtifactStore,
  limits: { maxModelBytes: number; maxEvalSetBytes: number },
): Promise<ModelUploadParts> {
  if (!req.isMultipart()) throw new InvalidInputError('expected a multipart/form-data body with a "file" part');
  const out: ModelUploadParts = { fields: {} };
  const problems: string[] = [];
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        if (part.fieldname in out.fields) problems.push(`field ${part.fieldname} given twice`);
        out.fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname === 'file' && !out.model) {
        out.model = await store.stage(part.file, limits.maxModelBytes);
      } else if (part.fieldname === 'evalSet' && !out.evalSet) {
        out.evalSet = await store.stage(part.file, limits.maxEvalSetBytes);
      } else {
        part.file.resume(); // drain it: the next part only arrives once this one is consumed
        problems.push(FILE_FIELDS.includes(part.fieldname as (typeof FILE_FIELDS)[number])
          ? `file part ${part.fieldname} given twice`
          : `unexpected file part ${JSON.stringify(part.fieldname)} (expected file, evalSet)`);
      }
    }
    if (!out.model) problems.push('file: the .onnx model file part is required');
    if (problems.length > 0) throw new InvalidInputError(problems.join('; '), problems);
    return out;
  } catch (err) {
    await out.model?.discard();
    await out.evalSet?.discard();
    throw multipartFailure(err);
  }
}
