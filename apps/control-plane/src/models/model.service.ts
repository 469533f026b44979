import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { decodeAnyEvalSet, EvalSet, EvalSetFormatError, evalSetProblems, evalTaskOf, inputSpecGaps, type FeaturizerSpec, type InputSpec } from '@edgefleet/contracts';
import { ConflictError, NotFoundError, UnprocessableError, ArtifactStore, StagedObject, AuditRepository, FleetEvents, UnitOfWork } from '@edgefleet/platform';
import type { Page, Actor } from '@edgefleet/platform';
import type { Precision } from './model.dto';
import { ModelInspector, ModelRecord, ModelRepository } from '@edgefleet/catalog';

export interface ModelUpload {
  name: string;
  version: string;
  precision?: Precision;
  family?: string;
  /** Wins over a spec in the model's metadata. */
  inputSpec?: InputSpec;
  model: StagedObject;
  evalSet?: StagedObject;
}

@Injectable()
export class ModelsService {
  constructor(
    private readonly models: ModelRepository,
    private readonly store: ArtifactStore,
    private readonly inspector: ModelInspector,
    private readonly audit: AuditRepository,
    private readonly uow: UnitOfWork,
    private readonly events: FleetEvents,
  ) {}

  /**
   * Registers an uploaded model: it must load in onnxruntime; an eval set must decode and fit the model's input;
   * every input must be one a device can build (from the eval set, the signature, or the input spec). The staged files become part of the store only when everything passed; otherwise they are discarded.
   */
  async upload(input: ModelUpload, actor: Actor): Promise<ModelRecord> {
    const precision = input.precision ?? 'fp32';
    try {
      if (await this.models.exists({ name: input.name, version: input.version, precision })) {
        throw new ConflictError(`model ${input.name} ${input.version} (${precision}) already exists`);
      }
      const inspected = await this.inspector.inspect(input.model.path, input.model.size);
      const evalSet = input.evalSet ? await this.checkEvalSet(input.evalSet, inspected) : undefined;
      const inputSpec = input.inputSpec ?? inspected.inputSpec;
      const gaps = inputSpecGaps(inspected, inputSpec, evalSet ? evalSet.inputName || inspected.inputs[0]?.name : undefined);
      if (gaps.length > 0) throw new UnprocessableError(`devices could not build this model's inputs for a benchmark: ${gaps.join('; ')} (docs/models.md, "Input specifications")`);
      await input.model.commit();
      await input.evalSet?.commit();
      const created = await this.uow.transaction(async (tx) => {
        const model = await this.models.create(
          {
            name: input.name, version: input.version, precision, family: input.family,
            sha256: input.model.sha256, sizeBytes: input.model.size,
            inputs: inspected.inputs, outputs: inspected.outputs, params: inspected.params, macs: inspected.macs,
            featurizer: inspected.featurizer, inputSpec,
            evalSet: evalSet && input.evalSet ? { sha256: input.evalSet.sha256, size: input.evalSet.size, samples: evalSet.n, task: evalTaskOf(evalSet) } : undefined,
          },
          tx,
        );
        await this.audit.record({
          actor, action: 'model.upload', entityType: 'model', entityId: model.id,
          details: { name: model.name, version: model.version, precision, sha256: model.sha256, size: model.sizeBytes },
        }, tx);
        return model;
      });
      this.events.emit('models.published', { artifactIds: [created.id], family: created.family });
      return created;
    } finally {
      // No-ops once committed. Committed content stays even if the row insert failed: it is addressed by its hash
      // and an identical upload will reuse it.
      await input.model.discard();
      await input.evalSet?.discard();
    }
  }

  async get(id: string): Promise<ModelRecord> {
    const model = await this.models.findCached(id);
    if (!model) throw new NotFoundError('model', id);
    return model;
  }

  async list(filter: { name?: string; family?: string }, page: { limit: number; offset: number }): Promise<Page<ModelRecord>> {
    const { items, total } = await this.models.list(filter, page);
    return { items, total, ...page };
  }

  /** The model's bytes as a stream, with what an HTTP cache needs. */
  async content(id: string): Promise<{ open: () => Promise<Readable>; sha256: string; size: number; filename: string }> {
    const model = await this.get(id);
    const size = await this.store.size(model.sha256);
    if (size === undefined) throw new NotFoundError('model content', model.sha256);
    return { open: () => this.store.stream(model.sha256), sha256: model.sha256, size, filename: `${model.name}-${model.version}-${model.precision}.onnx` };
  }

  private async checkEvalSet(staged: StagedObject, model: { inputs: Parameters<typeof evalSetProblems>[1]; outputs: Parameters<typeof evalSetProblems>[2]; featurizer?: FeaturizerSpec }): Promise<EvalSet> {
    let set: EvalSet;
    try {
      // A text eval set (efev-text) is featurized with the model's own featurizer, as the devices will.
      set = decodeAnyEvalSet(await readFile(staged.path), model.featurizer);
    } catch (err) {
      if (err instanceof EvalSetFormatError) throw new UnprocessableError(`evalSet: ${err.message}`);
      throw err;
    }
    const problems = evalSetProblems(set, model.inputs, model.outputs);
    if (problems.length > 0) throw new UnprocessableError(`evalSet does not fit the model: ${problems.join('; ')}`);
    return set;
  }
}
