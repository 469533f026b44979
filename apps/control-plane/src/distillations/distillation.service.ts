import { Injectable } from '@nestjs/common';
import { FeaturizerError, parseFeaturizer, type FeaturizerSpec, type TensorInfo } from '@edgefleet/contracts';
import {
  DEFAULT_TEXT_FEATURIZER, defaultTeacher, DistillConfigError, Network, parseModelSpec, textTeacherClassCount, withDefaultHyper,
} from '@edgefleet/distill';
import { NoFeasibleStudentError, studentForSizeBudget } from '@edgefleet/selection';
import { CancelAnswer, isTerminal, JobQueue, JobRecord, JobStatus } from '@edgefleet/jobs';
import { InvalidInputError, NotFoundError, UnprocessableError } from '@edgefleet/platform';
import type { Page } from '@edgefleet/platform';
import { ModelRepository, DatasetsService } from '@edgefleet/catalog';
import { DistillationConfig, DistillationWorkerService, DISTILLATION_QUEUE, DistillationPayload } from '@edgefleet/distillation-worker';
import type { CreateDistillationDto } from '@edgefleet/distillation-worker';
import type { DatasetRecord } from '@edgefleet/catalog';

/** What a job's source is made of: the fields of POST /distillations that checkSource() judges. */
export type SourceSettings = Pick<CreateDistillationDto, 'datasetId' | 'teacherArtifactId' | 'teacherArch' | 'textTeacher' | 'featurizer'>;

@Injectable()
export class DistillationsService {
  constructor(
    private readonly queue: JobQueue,
    private readonly datasets: DatasetsService,
    private readonly models: ModelRepository,
    private readonly worker: DistillationWorkerService,
    private readonly config: DistillationConfig,
  ) {}

  /**
   * Checks the request against what exists (data set, teacher, students that fit the data) and queues it, so a
   * worker only meets jobs it can run. A budget is resolved to a concrete student here and recorded in the job.
   */
  async create(dto: CreateDistillationDto): Promise<JobRecord> {
    if (dto.students && dto.targetBudget) throw new InvalidInputError('give students or targetBudget, not both');
    if (dto.teacherArtifactId && dto.teacherArch) throw new InvalidInputError('give teacherArtifactId or teacherArch, not both');
    const dataset = await this.checkSource(dto);
    if (dataset.format === 'text') return this.enqueue(dto, dataset, await this.textStudents(dto, dataset), { textTeacher: dto.textTeacher!, featurizer: this.featurizerOf(dto) });
    let students = dto.students;
    try {
      // Each student (and the teacher trained first) must build on this data set's samples (a CNN needs images).
      if (!dto.teacherArtifactId) defaultTeacher(dto.teacherArch, dataset.sampleShape, dataset.numClasses);
      for (const s of students ?? []) new Network(parseModelSpec(s, dataset.sampleShape, dataset.numClasses), dataset.sampleShape);
      if (dto.targetBudget) students = [studentForSizeBudget(dto.targetBudget, dataset.sampleShape, dataset.numClasses).student];
    } catch (err) {
      if (err instanceof DistillConfigError || err instanceof NoFeasibleStudentError) throw new UnprocessableError(err.message);
      throw err;
    }
    return this.enqueue(dto, dataset, students, {});
  }

  /**
   * The checks of a job's source that do not depend on its students — the data set exists; a text data set takes a
   * text teacher with valid text settings and no teacher model; any other takes no text settings, and a teacher
   * model that exists, is fp32 and takes the data set's samples. create() runs them, and a fleet target runs them
   * when it is made for the jobs it queues later (a 422 now, not a failed class later).
   */
  async checkSource(s: SourceSettings): Promise<DatasetRecord> {
    const dataset = await this.datasets.get(s.datasetId).catch((err: unknown) => {
      throw err instanceof NotFoundError ? new UnprocessableError(`dataset ${s.datasetId} does not exist`) : err;
    });
    if (dataset.format === 'text') {
      if (!s.textTeacher) throw new UnprocessableError(`data set ${dataset.name} is text: give a textTeacher (use-lite, fasttext-lid or openai:<url>#<model>)`);
      if (s.teacherArtifactId || s.teacherArch) throw new UnprocessableError('teacherArtifactId and teacherArch are for image and tabular data sets; a text data set takes a textTeacher');
      this.featurizerOf(s);
      const problem = this.config.textTeacherProblem(s.textTeacher);
      if (problem) throw new UnprocessableError(problem);
      return dataset;
    }
    if (s.textTeacher || s.featurizer) throw new UnprocessableError(`textTeacher and featurizer are for text data sets; ${dataset.name} is ${dataset.format}`);
    if (s.teacherArtifactId) {
      const teacher = await this.models.find(s.teacherArtifactId);
      if (!teacher) throw new UnprocessableError(`teacher model ${s.teacherArtifactId} does not exist`);
      if (teacher.precision !== 'fp32') throw new UnprocessableError(`teacher model must be fp32 (it is ${teacher.precision})`);
      const takes = (teacher.inputs as unknown as TensorInfo[] | null)?.[0]?.dims.slice(1);
      const features = dataset.sampleShape.reduce((a, b) => a * b, 1);
      if (takes?.every((d): d is number => typeof d === 'number') && takes.reduce((a, b) => a * b, 1) !== features) {
        throw new UnprocessableError(`teacher model ${teacher.id} takes samples of ${takes.join('x')} values, data set ${dataset.name} has ${features}`);
      }
    }
    return dataset;
  }

  /**
   * A text job: a text teacher (no teacher artifact or architecture), students that build on the featurizer's
   * vector with the teacher's class count (fastText's 176 languages, else the data set's labels), budget resolved
   * by the same sizing as images (text students are MLPs: the vector is one-dimensional).
   */
  private async textStudents(dto: CreateDistillationDto, dataset: DatasetRecord): Promise<string[] | undefined> {
    const shape = [this.featurizerOf(dto).buckets];
    try {
      const classes = await textTeacherClassCount(dto.textTeacher!, dataset.numClasses);
      for (const s of dto.students ?? []) {
        if (!s.startsWith('mlp:')) throw new DistillConfigError(`student ${s}: text students are MLPs (mlp:<h> or mlp:<h1>x<h2>) on the featurizer's ${shape[0]}-bucket vector`);
        new Network(parseModelSpec(s, shape, classes), shape);
      }
      return dto.targetBudget ? [studentForSizeBudget(dto.targetBudget, shape, classes).student] : dto.students;
    } catch (err) {
      if (err instanceof DistillConfigError || err instanceof NoFeasibleStudentError) throw new UnprocessableError(err.message);
      throw err;
    }
  }

  /** The request's featurizer, checked with the one implementation the trainer and the devices run; else the default. */
  private featurizerOf(dto: { featurizer?: Record<string, unknown> }) {
    try {
      return dto.featurizer ? parseFeaturizer(dto.featurizer) : DEFAULT_TEXT_FEATURIZER;
    } catch (err) {
      if (err instanceof FeaturizerError) throw new UnprocessableError(`featurizer: ${err.message}`);
      throw err;
    }
  }

  private async enqueue(dto: CreateDistillationDto, dataset: DatasetRecord, students: string[] | undefined, text: { textTeacher?: string; featurizer?: FeaturizerSpec }): Promise<JobRecord> {
    const payload: DistillationPayload = {
      datasetId: dataset.id,
      ...(dto.teacherArtifactId ? { teacherArtifactId: dto.teacherArtifactId } : {}),
      ...(dto.teacherArch ? { teacherArch: dto.teacherArch } : {}),
      ...(text.textTeacher ? { textTeacher: text.textTeacher, featurizer: { ...text.featurizer } as Record<string, unknown> } : {}),
      ...(students ? { students } : {}),
      ...(dto.targetBudget ? { targetBudget: { ...dto.targetBudget } } : {}),
      family: dto.family ?? dataset.name,
      // Every default resolved now, from the engine's one definition: the job (and the artifacts' lineage) records what it ran with.
      hyper: withDefaultHyper(dto),
      evalSamples: dto.evalSamples ?? 1000,
    };
    const job = await this.queue.enqueue(DISTILLATION_QUEUE, payload, { maxAttempts: this.config.maxAttempts });
    this.worker.wake();
    return job;
  }

  async get(id: string): Promise<JobRecord> {
    const job = await this.queue.get(id);
    if (!job || job.queue !== DISTILLATION_QUEUE) throw new NotFoundError('distillation', id);
    return job;
  }

  /** Status and error of each job (one query; the autopilot watches the jobs it queued). */
  outcomes(jobIds: readonly string[]): Promise<Map<string, { status: JobStatus; error: string | null }>> {
    return this.queue.outcomes(jobIds);
  }

  /** Queued or running distillations whose request names this teacher or data set, as `distillation <id>` lines. */
  async activeUsing(key: 'teacherArtifactId' | 'datasetId', id: string): Promise<string[]> {
    return (await this.queue.activeWithPayload(DISTILLATION_QUEUE, key, id)).map((j) => `distillation ${j}`);
  }

  async list(page: { limit: number; offset: number }, status?: JobStatus): Promise<Page<JobRecord>> {
    return { ...(await this.queue.list(DISTILLATION_QUEUE, page, status)), ...page };
  }

  async cancel(id: string): Promise<{ outcome: CancelAnswer; job: JobRecord }> {
    await this.get(id);
    const outcome = (await this.queue.cancel(id))!;
    return { outcome, job: await this.get(id) };
  }
}
