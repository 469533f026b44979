import { CommandLine, CommandSpec } from '@edgefleet/toolkit';
import { DISTILL_DEFAULTS as D } from '../pipeline/defaults';
import type { DistillOptions } from '../pipeline/options';
import { TEACHER_SYNTAX } from '../text/teachers';
import { TEACHER_ARCHS } from '../pipeline/ladder';
import { IMAGE_SHAPE_PATTERN, parseImageShape } from '../model/spec';

/** What the command line sets: paths, output mode, and distill()'s own options (their names and meaning live there). */
export type CliArgs = { dataset: string; out: string; teacher?: string; students?: string[]; json: boolean; imageShape?: number[] }
  & Pick<DistillOptions, 'teacherArch' | 'epochs' | 'teacherEpochs' | 'temperature' | 'alpha' | 'labeledFraction' | 'seed' | 'threads' | 'batchSize' | 'patience'>;

export const DISTILL_COMMAND: CommandSpec = {
  name: 'distill',
  invocation: 'npm run -s distill --',
  summary: 'Trains (or loads) a teacher, distils a ladder of students, quantizes them; writes the models and metrics.json to --out.',
  options: {
    dataset: { type: 'string', arg: '<dir|csv>', help: 'IDX directory, CSV file, or a text data set folder (train.jsonl / train.csv) (required)' },
    out: { type: 'string', arg: '<dir>', help: 'where models and metrics.json go (required for images)' },
    teacher: { type: 'string', arg: '<model.onnx|text teacher>', help: `a trained teacher; without it one is trained first. Text: ${TEACHER_SYNTAX}` },
    'teacher-arch': { type: 'string', arg: 'mlp|cnn', help: 'architecture of the teacher trained here (default: cnn for images, mlp for a table)' },
    'image-shape': { type: 'string', arg: 'HxW|CxHxW', help: 'CSV: its rows are images of this shape (without it a CSV is tabular, whatever its feature count)' },
    students: { type: 'string', arg: '<specs>', help: 'comma-separated, e.g. mlp:64,cnn:8-16-32 (default: a ladder sized from the teacher)' },
    epochs: { type: 'string', arg: '<n>', help: `student epochs (default ${D.epochs})` },
    'teacher-epochs': { type: 'string', arg: '<n>', help: `teacher epochs (default ${D.teacherEpochs})` },
    temperature: { type: 'string', arg: '<T>', help: `softmax temperature of the KD term (default ${D.temperature})` },
    alpha: { type: 'string', arg: '<a>', help: `weight of the KD term on labeled rows, 0..1 (default ${D.alpha})` },
    'labeled-fraction': { type: 'string', arg: '<f>', help: `fraction of training rows whose labels are used (default ${D.labeledFraction})` },
    seed: { type: 'string', arg: '<n>', help: `(default ${D.seed})` },
    threads: { type: 'string', arg: '<n>', help: `onnxruntime threads; 1 is bit-reproducible (default ${D.threads})` },
    'batch-size': { type: 'string', arg: '<n>', help: `(default ${D.batchSize})` },
    patience: { type: 'string', arg: '<n>', help: `epochs without a better validation accuracy before stopping, 0 = run every epoch (default ${D.patience})` },
    json: { type: 'boolean', help: 'print one JSON object on stdout' },
    cache: { type: 'string', arg: '<dir>', help: 'text: teacher-output cache (default data/teacher-cache)' },
    'no-cache': { type: 'boolean', help: 'text: do not read or write the teacher-output cache' },
    featurizer: { type: 'string', arg: '<spec.json>', help: 'text: featurizer spec (default: the built-in hashed n-gram spec)' },
    'api-key-file': { type: 'string', arg: '<file>', help: 'text: API key for an openai: teacher' },
  },
  notes: [
    "Distillation's edge over hard labels shows with longer runs, e.g. --epochs 60 --patience 0.",
    'With --json, run it as `npm run -s distill -- …`: plain `npm run` prints its own banner on stdout.',
  ],
};

const positiveInt = { integer: true, min: 1 };

/** Reads the distill command line; every problem is recorded on `cl`, and `done()` throws them all at once. */
export function readDistillArgs(cl: CommandLine): CliArgs {
  cl.require('dataset', 'out');
  const args: CliArgs = {
    dataset: cl.string('dataset') ?? '',
    out: cl.string('out') ?? '',
    teacher: cl.string('teacher'),
    teacherArch: cl.oneOf('teacher-arch', TEACHER_ARCHS),
    students: cl.list('students', (s) => s, 'comma-separated model specs'),
    epochs: cl.number('epochs', positiveInt),
    teacherEpochs: cl.number('teacher-epochs', positiveInt),
    temperature: cl.number('temperature', { above: 0 }),
    alpha: cl.number('alpha', { min: 0, max: 1 }),
    labeledFraction: cl.number('labeled-fraction', { above: 0, max: 1 }),
    seed: cl.number('seed', { integer: true, min: 0 }),
    threads: cl.number('threads', positiveInt),
    batchSize: cl.number('batch-size', positiveInt),
    patience: cl.number('patience', { integer: true, min: 0 }),
    json: cl.flag('json'),
  };
  const image = cl.string('image-shape');
  if (image !== undefined) {
    cl.check(IMAGE_SHAPE_PATTERN.test(image), `--image-shape ${JSON.stringify(image)} is not HxW or CxHxW (e.g. 28x28)`);
    if (IMAGE_SHAPE_PATTERN.test(image)) args.imageShape = parseImageShape(image);
  }
  cl.done();
  return args;
}

/** Parses an argument list (tests, and callers that hold argv). */
export const parseDistillArgs = (argv: readonly string[]): CliArgs => readDistillArgs(CommandLine.parse(DISTILL_COMMAND, argv));
