import { Injectable, Logger } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatasetError, DatasetSplit, ensureFashionMnist, IDX_FILES, type TextSplit } from '@edgefleet/distill';
import { ConflictError, InvalidInputError, NotFoundError, UnprocessableError, ArtifactStore } from '@edgefleet/platform';
import type { Page } from '@edgefleet/platform';
import { DatasetRecord, DatasetRepository } from './dataset.repository';
import { discardAll, DatasetUploadParts } from './dataset-upload.reader';
import { loadDatasetFiles, loadStoredDataset, loadStoredTextDataset, loadTextDatasetFiles } from './dataset.files';
import type { BuiltinDataset, DatasetFiles, DatasetFormat, DatasetLoadOptions, FileRole, IdxRole } from './dataset.types';
import { IDX_ROLES } from './dataset.types';

@Injectable()
export class DatasetsService {
  private readonly log = new Logger('Datasets');
  /** Built-in registrations under way, by name: concurrent identical requests share one. */
  private readonly registering = new Map<string, Promise<DatasetRecord>>();

  constructor(private readonly datasets: DatasetRepository, private readonly store: ArtifactStore) {}

  /**
   * Registers an uploaded data set: it must load with libs/distill's readers (the same code the workers use),
   * so a job never meets a data set it cannot read. Files enter the store only when it loaded.
   */
  async upload(name: string, opts: DatasetLoadOptions, parts: DatasetUploadParts): Promise<DatasetRecord> {
    try {
      const format: DatasetFormat = parts.files.csv ? 'csv' : parts.files.train ? 'text' : 'idx';
      const at = Object.fromEntries(Object.entries(parts.files).map(([role, f]) => [role, { path: f.staged.path, gzip: f.gzip, ...(f.text ? { text: f.text } : {}) }]));
      let shape: ReturnType<typeof shapeOf>;
      if (format === 'text') {
        const given = Object.keys(opts).filter((k) => opts[k as keyof DatasetLoadOptions] !== undefined);
        if (given.length > 0) throw new InvalidInputError(`${given.join(', ')}: not for a text data set (its train and test parts are the split; labels.json the classes)`);
        shape = textShapeOf(await this.readOrReject(() => loadTextDatasetFiles(at)));
      } else {
        shape = shapeOf(await this.readOrReject(() => loadDatasetFiles(format, at, opts)));
      }
      const files: DatasetFiles = {};
      for (const [role, f] of Object.entries(parts.files) as [FileRole, (typeof parts.files)[FileRole] & object][]) {
        await f.staged.commit();
        files[role] = { sha256: f.staged.sha256, size: f.staged.size, gzip: f.gzip, ...(f.text ? { text: f.text } : {}) };
      }
      return await this.datasets.create({ name, format, origin: 'upload', files, loadOptions: opts, ...shape });
    } finally {
      await discardAll(parts); // no-op for committed files
    }
  }

  /**
   * Registers a built-in data set (idempotent: the existing record is returned). Concurrent requests for one
   * name in this process share one registration (one conversion, one store write, one row); a control plane
   * that loses the insert race to another replica returns the winner's record instead of a 409.
   */
  registerBuiltin(builtin: BuiltinDataset, name: string = builtin): Promise<DatasetRecord> {
    const running = this.registering.get(name);
    if (running) return running;
    const started = this.registerBuiltinOnce(builtin, name).finally(() => this.registering.delete(name));
    this.registering.set(name, started);
    return started;
  }

  private async registerBuiltinOnce(builtin: BuiltinDataset, name: string): Promise<DatasetRecord> {
    const existing = await this.datasets.findByName(name);
    if (existing) return existing;
    // The only built-in today; the IDX conversion is cached after the first run (a few seconds).
    const dir = await ensureFashionMnist();
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { train: number; test: number };
    const files: DatasetFiles = {};
    for (const role of IDX_ROLES as readonly IdxRole[]) {
      const put = await this.store.put(await readFile(join(dir, IDX_FILES[role])));
      files[role] = { ...put, gzip: false };
    }
    try {
      const created = await this.datasets.create({
        name, format: 'idx', origin: `builtin:${builtin}`, files, loadOptions: { numClasses: 10 },
        trainRows: manifest.train, testRows: manifest.test, sampleShape: [1, 28, 28], numClasses: 10,
      });
      this.log.log(`registered built-in ${builtin} as ${name}: ${manifest.train} train + ${manifest.test} test rows`);
      return created;
    } catch (err) {
      const winner = err instanceof ConflictError ? await this.datasets.findByName(name) : undefined;
      if (winner) return winner;
      throw err;
    }
  }

  async get(id: string): Promise<DatasetRecord> {
    const d = await this.datasets.find(id);
    if (!d) throw new NotFoundError('dataset', id);
    return d;
  }

  /** Deletes the data set's row (its files stay in the content-addressed store, which other rows may share); false when unknown. */
  remove(id: string): Promise<boolean> {
    return this.datasets.delete(id);
  }

  async list(page: { limit: number; offset: number }): Promise<Page<DatasetRecord>> {
    return { ...(await this.datasets.list(page)), ...page };
  }

  /** The data set in memory, as a worker trains on it. */
  load(d: DatasetRecord): Promise<DatasetSplit> {
    return loadStoredDataset(this.store, d.format as DatasetFormat, d.files as DatasetFiles, (d.loadOptions ?? {}) as DatasetLoadOptions);
  }

  /** A text data set's rows in memory (the texts and label indices), as a worker distils on them. */
  loadText(d: DatasetRecord): Promise<TextSplit> {
    if (d.format !== 'text') throw new DatasetError(d.name, `data set ${d.name} is not a text data set (format ${d.format})`);
    return loadStoredTextDataset(this.store, d.files as DatasetFiles);
  }

  private async readOrReject<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      // The file's own name (train.jsonl, data.csv…), not the temporary folder it was read from.
      if (err instanceof DatasetError) throw new UnprocessableError(`data set not readable: ${basename(err.file)}: ${err.problem}`);
      throw err;
    }
  }
}

const shapeOf = (s: DatasetSplit) => ({
  trainRows: s.train.n, testRows: s.test.n, sampleShape: s.train.sampleShape, numClasses: s.train.numClasses,
});

/** Text has no sample shape of its own (a job's featurizer gives it one); its classes are its labels (0: unlabelled). */
const textShapeOf = (s: TextSplit) => ({
  trainRows: s.train.texts.length, testRows: s.test.texts.length, sampleShape: [] as number[], numClasses: s.labels.length,
});
