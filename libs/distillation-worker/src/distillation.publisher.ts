import { Injectable } from '@nestjs/common';
import { decodeTextEvalSet, encodeEvalSet, encodeTextEvalSet } from '@edgefleet/contracts';
import type { DatasetSplit, DistillResult, StudentMetrics, TextDistillResult } from '@edgefleet/distill';
import { JobQueue } from '@edgefleet/jobs';
import { ArtifactStore, UnitOfWork, FleetEvents } from '@edgefleet/platform';
import { ModelInspector, type InspectedModel, ModelRepository } from '@edgefleet/catalog';
import type { DatasetRecord } from '@edgefleet/catalog';
import type { DistillationPayload, DistillationResultSummary } from './distillation.types';

export interface PublishInput {
  jobId: string;
  leaseToken: string;
  workerId: string;
  payload: DistillationPayload;
  dataset: DatasetRecord;
  /** The rows trained on (image and tabular jobs); a text job's result carries its own eval set. */
  data?: DatasetSplit;
  result: DistillResult | TextDistillResult;
  /** The given teacher artifact; undefined when the job trained its own (which is then published too). */
  teacherArtifactId?: string;
  codeVersion: string;
}

const isText = (r: DistillResult | TextDistillResult): r is TextDistillResult => 'featurizer' in r && 'evalSet' in r;

interface Variant {
  name: string;
  precision: 'fp32' | 'int8' | 'fp16';
  bytes: Uint8Array;
  metrics: Record<string, unknown>;
  student?: StudentMetrics;
  /** Index of the fp32 variant it was quantized from. */
  from?: number;
}

/**
 * Turns a finished distillation into model artifacts: bytes and one eval split into the artifact store, then —
 * in one transaction — a ModelArtifact per student and precision with lineage and metrics, and the job marked
 * succeeded. A worker that lost its lease fails the transaction (fenced complete), so no job publishes twice.
 */
@Injectable()
export class DistillationPublisher {
  constructor(
    private readonly store: ArtifactStore,
    private readonly inspector: ModelInspector,
    private readonly models: ModelRepository,
    private readonly uow: UnitOfWork,
    private readonly queue: JobQueue,
    private readonly events: FleetEvents,
  ) {}

  async publish(p: PublishInput): Promise<DistillationResultSummary> {
    const { result, payload } = p;
    const variants = this.variants(result, !p.teacherArtifactId);
    const stored: Array<{ v: Variant; sha256: string; size: number; inspected: InspectedModel }> = [];
    for (const v of variants) {
      const put = await this.store.put(Buffer.from(v.bytes));
      stored.push({ v, ...put, inspected: await this.inspector.inspect(await this.store.localPath(put.sha256), put.size) });
    }
    const text = isText(result) ? result : undefined;
    const evalSet = text ? await this.storeTextEvalSet(text.evalSet, payload.evalSamples) : await this.storeEvalSet(p.data!, payload.evalSamples, stored[0]!.inspected);
    const version = `job-${p.jobId.slice(0, 8)}`;
    const baseLineage = {
      jobId: p.jobId,
      dataset: { id: p.dataset.id, name: p.dataset.name, origin: p.dataset.origin, files: p.dataset.files },
      hyperParameters: payload.hyper,
      codeVersion: p.codeVersion,
      worker: p.workerId,
      distilledAt: new Date().toISOString(),
    };
    const summary = await this.uow.transaction(async (tx) => {
      const ids: string[] = [];
      let teacherId = p.teacherArtifactId;
      for (const s of stored) {
        const isTeacher = !s.v.student;
        const m = await this.models.create({
          name: `${payload.family}-${s.v.name}`, version, precision: s.v.precision, family: payload.family,
          sha256: s.sha256, sizeBytes: s.size, inputs: s.inspected.inputs, outputs: s.inspected.outputs, params: s.inspected.params,
          // Text students: the featurizer as read back from the model's own metadata (the one the devices will run).
          ...(s.inspected.featurizer ? { featurizer: s.inspected.featurizer } : {}),
          evalSet,
          metrics: s.v.metrics,
          // Counted from the graph at inspection; the trainer's own count where the graph could not be followed.
          macs: s.inspected.macs ?? s.v.student?.macs,
          lineage: {
            ...baseLineage,
            role: isTeacher ? 'teacher' : 'student',
            teacher: {
              artifactId: isTeacher ? undefined : teacherId, name: result.metrics.teacher.name, trained: result.metrics.teacher.trained, accuracy: result.metrics.teacher.accuracy,
              ...(text ? { text: payload.textTeacher, cost: text.teacherCost, labelSource: text.labelSource, classes: text.classes.length } : {}),
            },
            ...(s.v.from !== undefined ? { quantizedFrom: ids[s.v.from] } : {}),
          },
        }, tx);
        if (isTeacher) teacherId = m.id;
        ids.push(m.id);
      }
      const out: DistillationResultSummary = {
        artifactIds: ids.filter((_, i) => stored[i]!.v.student), teacherArtifactId: teacherId, metrics: result.metrics,
      };
      await this.queue.complete(p.jobId, p.leaseToken, out, tx);
      return out;
    });
    const published = [...summary.artifactIds, ...(summary.teacherArtifactId && summary.teacherArtifactId !== p.teacherArtifactId ? [summary.teacherArtifactId] : [])];
    this.events.emit('models.published', { artifactIds: published, family: payload.family });
    return summary;
  }

  /** Teacher first (when trained here), then per student fp32, int8, fp16 — fp32 before its quantized twins. */
  private variants(r: DistillResult, withTeacher: boolean): Variant[] {
    const out: Variant[] = [];
    if (withTeacher && r.teacherModel) {
      const t = r.metrics.teacher;
      out.push({ name: t.name, precision: 'fp32', bytes: r.teacherModel, metrics: { accuracy: t.accuracy, params: t.params, bytes: t.bytes, trainSeconds: t.trainSeconds } });
    }
    r.students.forEach((s, i) => {
      const m = r.metrics.students[i]!;
      const common = { agreementFp32: m.agreement, params: m.params, macs: m.macs, trainSeconds: m.trainSeconds, epochsRun: m.epochsRun, teacherAccuracy: r.metrics.teacher.accuracy, hardLabelBaseline: m.hardLabelBaseline };
      const fp32At = out.length;
      out.push({ name: s.name, precision: 'fp32', bytes: s.fp32, student: m, metrics: { ...common, accuracy: m.accuracy, agreement: m.agreement, bytes: m.bytes, latencyP50Ms: m.latencyP50Ms } });
      if (s.int8 && m.int8) out.push({ name: s.name, precision: 'int8', bytes: s.int8, student: m, from: fp32At, metrics: { ...common, ...m.int8 } });
      if (s.fp16 && m.fp16) out.push({ name: s.name, precision: 'fp16', bytes: s.fp16, student: m, from: fp32At, metrics: { ...common, ...m.fp16 } });
    });
    return out;
  }

  /** The first `max` held-out texts of the job's efev-text eval set (labels as the result's labelSource says). */
  private async storeTextEvalSet(full: Uint8Array, max: number): Promise<{ sha256: string; size: number; samples: number }> {
    const set = decodeTextEvalSet(full);
    const samples = set.samples.slice(0, max);
    const put = await this.store.put(encodeTextEvalSet({ ...set, samples }));
    return { ...put, samples: samples.length };
  }

  /** The first `max` test rows as an EFEV eval set, shaped like the model's input so devices can feed it. */
  private async storeEvalSet(data: DatasetSplit, max: number, model: InspectedModel): Promise<{ sha256: string; size: number; samples: number }> {
    const test = data.test;
    const n = Math.min(max, test.n);
    const features = test.x.length / test.n;
    const input = model.inputs[0];
    const dims = input?.dims.slice(1) ?? [];
    const sampleShape = dims.length > 0 && dims.every((d) => typeof d === 'number' && d > 0) && (dims as number[]).reduce((a, b) => a * b, 1) === features
      ? (dims as number[])
      : test.sampleShape;
    const bytes = encodeEvalSet({ inputName: input?.name ?? '', sampleShape, numClasses: test.numClasses, n, x: test.x.subarray(0, n * features), y: test.y.subarray(0, n) });
    const put = await this.store.put(bytes);
    return { ...put, samples: n };
  }
}
