/**
 * The text branch of `npm run -s distill -- --dataset <text dir> --teacher use-lite|fasttext-lid|openai:<url>#<model>
 * [--students mlp:32,mlp:128] [--out dir] [--cache dir] [--json]`: the same JSON summary as images plus the
 * teacher's cost, the featurizer and the classes. Progress (teacher labelling with ETA, epochs) goes to stderr.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseFeaturizer } from '@edgefleet/contracts';
import type { CommandLine } from '@edgefleet/toolkit';
import { distillText } from '../text/distill-text';
import { readTextDataset } from '../text/text-dataset';
import { parseTextTeacher } from '../text/teachers';
import { progressLine, publicJson, summaryTable } from './report';

const secs = (ms: number) => (ms >= 60000 ? `${Math.floor(ms / 60000)}m${Math.round((ms % 60000) / 1000)}s` : `${Math.round(ms / 1000)}s`);
const positiveInt = { integer: true, min: 1 };

export async function distillTextMain(cl: CommandLine): Promise<void> {
  cl.require('dataset', 'teacher');
  const a = {
    dataset: cl.string('dataset') ?? '', teacher: cl.string('teacher') ?? '', out: cl.string('out'),
    students: cl.list('students', (s) => s.trim(), 'comma-separated model specs'),
    cache: cl.string('cache') ?? 'data/teacher-cache', noCache: cl.flag('no-cache'), featurizer: cl.string('featurizer'),
    apiKeyFile: cl.string('api-key-file'), json: cl.flag('json'),
    epochs: cl.number('epochs', positiveInt), temperature: cl.number('temperature', { above: 0 }), alpha: cl.number('alpha', { min: 0, max: 1 }),
    labeledFraction: cl.number('labeled-fraction', { above: 0, max: 1 }), seed: cl.number('seed', { integer: true, min: 0 }),
    threads: cl.number('threads', positiveInt), batchSize: cl.number('batch-size', positiveInt), patience: cl.number('patience', { integer: true, min: 0 }),
  };
  cl.check(cl.string('teacher-arch') === undefined, '--teacher-arch is for image data sets (a text data set takes a text --teacher)');
  cl.check(cl.string('teacher-epochs') === undefined, '--teacher-epochs is for image data sets');
  cl.done();
  const apiKey = a.apiKeyFile ? (await readFile(a.apiKeyFile, 'utf8')).trim() : undefined;
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
    data, teacher, featurizer, cacheDir: a.noCache ? undefined : a.cache, students: a.students,
    epochs: a.epochs, temperature: a.temperature, alpha: a.alpha, labeledFraction: a.labeledFraction, seed: a.seed,
    threads: a.threads, batchSize: a.batchSize, patience: a.patience, signal: controller.signal,
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
