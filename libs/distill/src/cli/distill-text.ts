/**
 * The text branch of `npm run -s distill -- --dataset <text dir> --teacher use-lite|fasttext-lid|openai:<url>#<model>
 * [--students mlp:32,mlp:128] [--out dir] [--cache dir] [--json]`: the same JSON summary as images plus the
 * teacher's cost, the featurizer and the classes. Progress (teacher labelling with ETA, epochs) goes to stderr.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseFeaturizer } from '@edgefleet/contracts';
import { DistillConfigError } from '../errors';
import { distillText } from '../text/distill-text';
import { readTextDataset } from '../text/text-dataset';
import { parseTextTeacher, TEACHER_SYNTAX } from '../text/teachers';
import { progressLine, publicJson, summaryTable } from './report';

const secs = (ms: number) => (ms >= 60000 ? `${Math.floor(ms / 60000)}m${Math.round((ms % 60000) / 1000)}s` : `${Math.round(ms / 1000)}s`);
const num = (v: string | undefined, what: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new DistillConfigError(`--${what} must be a number, got "${v}"`);
  return n;
};

export async function distillTextMain(argv: string[]): Promise<void> {
  const { values: a } = parseArgs({
    args: argv, strict: true,
    options: {
      dataset: { type: 'string' }, teacher: { type: 'string' }, students: { type: 'string' }, out: { type: 'string' },
      cache: { type: 'string', default: 'data/teacher-cache' }, 'no-cache': { type: 'boolean', default: false },
      featurizer: { type: 'string' }, 'api-key-file': { type: 'string' }, json: { type: 'boolean', default: false },
      epochs: { type: 'string' }, temperature: { type: 'string' }, alpha: { type: 'string' }, 'labeled-fraction': { type: 'string' },
      seed: { type: 'string' }, threads: { type: 'string' }, 'batch-size': { type: 'string' }, patience: { type: 'string' },
    },
  });
  if (!a.dataset || !a.teacher) throw new DistillConfigError(`text data sets need --dataset <dir> and --teacher ${TEACHER_SYNTAX}`);
  const apiKey = a['api-key-file'] ? (await readFile(a['api-key-file'], 'utf8')).trim() : undefined;
  const teacher = parseTextTeacher(a.teacher, { apiKey });
  const featurizer = a.featurizer ? parseFeaturizer(JSON.parse(await readFile(a.featurizer, 'utf8'))) : undefined;
  const data = await readTextDataset(a.dataset);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  let lastRun = '';
  const line = (s: string, run: string) => {
    if (lastRun && lastRun !== run) process.stderr.write('\n');
    lastRun = run;
    process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${s}` : `${s}\n`);
  };
  const r = await distillText({
    data, teacher, featurizer, cacheDir: a['no-cache'] ? undefined : a.cache,
    students: a.students?.split(',').map((s) => s.trim()).filter(Boolean),
    epochs: num(a.epochs, 'epochs'), temperature: num(a.temperature, 'temperature'), alpha: num(a.alpha, 'alpha'),
    labeledFraction: num(a['labeled-fraction'], 'labeled-fraction'), seed: num(a.seed, 'seed'), threads: num(a.threads, 'threads'),
    batchSize: num(a['batch-size'], 'batch-size'), patience: num(a.patience, 'patience'), signal: controller.signal,
    onTeacherProgress: (what, p) => line(`${what}: ${p.done}/${p.total} texts  ${p.perSec.toFixed(1)}/s  ETA ${secs(p.etaMs)}`, what),
  }, (p) => { if (process.stderr.isTTY) line(progressLine(p), p.run); });
  if (lastRun) process.stderr.write(process.stderr.isTTY ? '\n' : '');
  const summary = { ...publicJson(r.metrics), teacherCost: r.teacherCost, featurizer: r.featurizer, classes: r.classes.length, labelSource: r.labelSource };
  if (a.out) {
    await mkdir(a.out, { recursive: true });
    for (const s of r.students) {
      await writeFile(join(a.out, `${s.name}.onnx`), s.fp32);
      if (s.int8) await writeFile(join(a.out, `${s.name}.int8.onnx`), s.int8);
      if (s.fp16) await writeFile(join(a.out, `${s.name}.fp16.onnx`), s.fp16);
    }
    await writeFile(join(a.out, 'eval-set.json'), r.evalSet);
    await writeFile(join(a.out, 'metrics.json'), JSON.stringify({ ...summary, details: r.metrics, classNames: r.classes }, null, 2));
  }
  if (a.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stderr.write(`${summaryTable(r.metrics)}\nteacher cost: ${JSON.stringify(r.teacherCost)}\n${a.out ? `wrote ${a.out}\n` : ''}`);
}
