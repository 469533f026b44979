#!/usr/bin/env node
/**
 * `npm run distill -- --dataset <dir|csv> --out <dir> …`: trains (or loads) a teacher, distils a
 * ladder of students, quantizes them and writes the models and metrics.json to --out.
 * Progress goes to stderr; with --json stdout carries exactly one JSON object (use `npm run -s distill`,
 * since plain `npm run` writes its own `> edgefleet@… distill` banner to stdout).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandLine, runCommand } from '@edgefleet/toolkit';
import { loadDataset } from '../data';
import { DatasetError } from '../data/dataset-error';
import { DistillAbortedError, DistillConfigError } from '../errors';
import { distill } from '../pipeline/distill';
import { isTextDataset } from '../text/text-dataset';
import { DISTILL_COMMAND, readDistillArgs } from './args';
import { distillTextMain } from './distill-text';
import { progressLine, publicJson, summaryTable } from './report';

async function main(cl: CommandLine): Promise<void> {
  // A folder of text (train.jsonl / train.csv) goes the text way: a text teacher, featurized students.
  const dataset = cl.string('dataset');
  if (dataset && (await isTextDataset(dataset))) return distillTextMain(cl);
  const args = readDistillArgs(cl);
  const data = await loadDataset(args.dataset, { imageShape: args.imageShape });
  const teacher = args.teacher ? new Uint8Array(await readFile(args.teacher)) : undefined;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const tty = process.stderr.isTTY === true;
  let lastRun = '';
  const result = await distill({
    data, teacher, teacherArch: args.teacherArch, students: args.students, epochs: args.epochs, teacherEpochs: args.teacherEpochs,
    temperature: args.temperature, alpha: args.alpha, labeledFraction: args.labeledFraction, seed: args.seed,
    threads: args.threads, batchSize: args.batchSize, patience: args.patience, signal: controller.signal,
  }, (p) => {
    if (!tty) return;
    // One line per run, rewritten in place each epoch.
    if (lastRun && lastRun !== p.run) process.stderr.write('\n');
    lastRun = p.run;
    process.stderr.write(`\r\x1b[K${progressLine(p)}`);
  });
  if (tty && lastRun) process.stderr.write('\n');
  await mkdir(args.out, { recursive: true });
  if (!args.teacher && result.teacherModel) await writeFile(join(args.out, 'teacher.onnx'), result.teacherModel);
  for (const s of result.students) {
    await writeFile(join(args.out, `${s.name}.onnx`), s.fp32);
    if (s.int8) await writeFile(join(args.out, `${s.name}.int8.onnx`), s.int8);
    if (s.fp16) await writeFile(join(args.out, `${s.name}.fp16.onnx`), s.fp16);
  }
  await writeFile(join(args.out, 'metrics.json'), JSON.stringify({ ...publicJson(result.metrics), details: result.metrics }, null, 2));
  if (args.json) process.stdout.write(`${JSON.stringify(publicJson(result.metrics))}\n`);
  else process.stderr.write(`${summaryTable(result.metrics)}\nwrote ${args.out}\n`);
}

// A file that cannot be read is the user's problem too (one line naming it), as is bad data or a bad option.
const isUserError = (err: unknown): boolean =>
  err instanceof DistillConfigError || err instanceof DistillAbortedError || err instanceof DatasetError || (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && 'path' in err);

runCommand(DISTILL_COMMAND, process.argv.slice(2), main, isUserError);
