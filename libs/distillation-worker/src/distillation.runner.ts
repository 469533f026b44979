import { Injectable, Logger } from '@nestjs/common';
import {
  DatasetError, DEFAULT_TEXT_STUDENTS, distill, DistillAbortedError, DistillConfigError, distillText, DistillProgress, DistillResult, isRepeatableRuntimeError,
  parseTextTeacher, type TextDistillResult,
} from '@edgefleet/distill';
import { FeaturizerError, parseFeaturizer, validateAs, type FeaturizerSpec } from '@edgefleet/contracts';
import type { DatasetRecord } from '@edgefleet/catalog';
import { isPermanentJobError, type JobContext, type JobOutcome } from '@edgefleet/jobs';
import { NotFoundError, ArtifactStore } from '@edgefleet/platform';
import { ModelRepository, DatasetsService } from '@edgefleet/catalog';
import { DistillationConfig } from './distillation.config';
import { DistillationPublisher } from './distillation.publisher';
import { DistillationPayloadDto } from './distillation.dto';
import type { DistillationCurve, DistillationProgress } from './distillation.types';
import { NoFeasibleStudentError, studentForSizeBudget } from '@edgefleet/selection';

// Read once: the version of the engine that made an artifact goes into its lineage.
const DISTILL_VERSION = (require('@edgefleet/distill/package.json') as { version: string }).version;

/** Students distill() picks when none are given (its default ladder). */
const DEFAULT_LADDER_SIZE = 4;

/** Errors a retry cannot fix (bad options or data, a shape onnxruntime refuses): the job fails at once instead of burning its attempts. */
const isPermanent = (err: unknown): boolean =>
  err instanceof DistillConfigError || err instanceof DatasetError || err instanceof FeaturizerError || err instanceof NoFeasibleStudentError || err instanceof NotFoundError
  || isRepeatableRuntimeError(err) || isPermanentJobError(err);

/**
 * Runs one distillation job: data set and teacher from the store, libs/distill's pipeline with the job's
 * AbortSignal (cancel, lost lease, shutdown), progress to the job row, results published as artifacts.
 */
@Injectable()
export class DistillationRunner {
  private readonly log = new Logger('Distillation');

  constructor(
    private readonly datasets: DatasetsService,
    private readonly models: ModelRepository,
    private readonly store: ArtifactStore,
    private readonly publisher: DistillationPublisher,
    private readonly config: DistillationConfig,
  ) {}

  readonly handle = async (ctx: JobContext & { workerId: string }): Promise<JobOutcome> => {
    // The boundary: the row is data (written by any version, or by hand), checked with the request's own classes.
    const checked = validateAs(DistillationPayloadDto, ctx.job.payload);
    if (!checked.ok) return { kind: 'failed', error: `invalid distillation payload: ${checked.errors.join('; ')}`, retry: false };
    const payload = checked.value;
    const started = Date.now();
    try {
      ctx.progress(this.progress({ phase: 'loading', runsDone: 0, runsTotal: 0 }));
      const dataset = await this.datasets.get(payload.datasetId);
      const text = dataset.format === 'text';
      const data = text ? undefined : await this.datasets.load(dataset);
      const teacher = payload.teacherArtifactId ? await this.teacherBytes(payload.teacherArtifactId) : undefined;
      // The API resolves a budget to students when the job is queued; this covers payloads queued without it.
      const students = payload.students ?? (payload.targetBudget && data ? [studentForSizeBudget(payload.targetBudget, data.train.sampleShape, data.train.numClasses).student] : undefined);
      const runsTotal = text ? (students?.length ?? DEFAULT_TEXT_STUDENTS.length) : (teacher ? 0 : 1) + (students?.length ?? DEFAULT_LADDER_SIZE);
      let runsDone = 0;
      let currentRun: string | undefined;
      let lastEpoch: DistillationProgress['lastEpoch'];
      const curves: DistillationCurve[] = [];
      const onProgress = (p: DistillProgress) => {
        if (currentRun !== undefined && p.run !== currentRun) runsDone++;
        currentRun = p.run;
        lastEpoch = { run: p.run, epoch: p.epoch, loss: p.loss, valAccuracy: p.valAccuracy };
        let curve = curves.find((c) => c.run === p.run && c.role === p.role);
        if (!curve) curves.push(curve = { run: p.run, role: p.role, points: [] });
        curve.points.push([p.epoch, p.loss, p.valAccuracy ?? null]);
        ctx.progress(this.progress({ phase: 'training', ...p, lastEpoch, curves, runsDone, runsTotal }));
      };
      const common = {
        students, epochs: payload.hyper.epochs, temperature: payload.hyper.temperature, alpha: payload.hyper.alpha, labeledFraction: payload.hyper.labeledFraction,
        seed: payload.hyper.seed, batchSize: payload.hyper.batchSize, patience: payload.hyper.patience, threads: this.config.threads,
        baseline: false, signal: ctx.signal,
      };
      let result: DistillResult | TextDistillResult;
      if (data) {
        result = await distill({ ...common, data, teacher, teacherArch: payload.teacherArch, teacherEpochs: payload.hyper.teacherEpochs }, onProgress);
      } else {
        result = await this.distillText(dataset, payload, common, (p) => ctx.progress(this.progress({ phase: 'labelling', teacherLabelling: p, etaMs: p.etaMs, runsDone: 0, runsTotal })), onProgress);
      }
      ctx.progress(this.progress({ phase: 'publishing', lastEpoch, curves, runsDone: runsTotal, runsTotal }));
      await ctx.flush(); // the job row stops accepting progress once the publisher completes it
      const summary = await this.publisher.publish({
        jobId: ctx.job.id, leaseToken: ctx.leaseToken, workerId: ctx.workerId, payload, dataset, data, result,
        teacherArtifactId: payload.teacherArtifactId, codeVersion: this.config.codeVersion ?? `edgefleet-distill@${DISTILL_VERSION}`,
      });
      this.log.log(`job ${ctx.job.id}: ${summary.artifactIds.length} artifacts in family ${payload.family} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return { kind: 'succeeded', result: summary, committed: true };
    } catch (err) {
      if (err instanceof DistillAbortedError) return { kind: 'cancelled' };
      if (isPermanent(err)) return { kind: 'failed', error: `${(err as Error).name}: ${(err as Error).message}`, retry: false };
      throw err; // unexpected: the worker records it and retries while attempts remain
    }
  };

  /**
   * A text job: the data set's rows (the one text reader), the teacher in the CLI's syntax, and the engine's one text
   * path, distillText() — the function `npm run distill` calls — with the shared teacher cache.
   */
  private async distillText(
    dataset: DatasetRecord, payload: DistillationPayloadDto, common: Omit<Parameters<typeof distillText>[0], 'data' | 'teacher'>,
    onLabelling: (p: { what: string; done: number; total: number; perSec: number; etaMs: number }) => void, onProgress: (p: DistillProgress) => void,
  ): Promise<TextDistillResult> {
    if (!payload.textTeacher) throw new DistillConfigError(`data set ${dataset.name} is text: the job needs a textTeacher`);
    const problem = this.config.textTeacherProblem(payload.textTeacher);
    if (problem) throw new DistillConfigError(problem);
    const data = await this.datasets.loadText(dataset);
    const featurizer: FeaturizerSpec | undefined = payload.featurizer ? parseFeaturizer(payload.featurizer) : undefined;
    const teacher = parseTextTeacher(payload.textTeacher, { apiKey: this.config.textTeacherApiKey });
    return distillText({
      ...common, data, teacher, featurizer, cacheDir: this.config.teacherCacheDir,
      onTeacherProgress: (what, p) => onLabelling({ what, done: p.done, total: p.total, perSec: p.perSec, etaMs: p.etaMs }),
    }, onProgress);
  }

  private async teacherBytes(id: string): Promise<Uint8Array> {
    const m = await this.models.find(id);
    if (!m) throw new NotFoundError('teacher model', id);
    return this.store.get(m.sha256);
  }

  private progress(p: Omit<DistillationProgress, 'at'>): DistillationProgress {
    return { ...p, at: new Date().toISOString() };
  }
}
