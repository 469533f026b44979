/**
 * `npm run eval-set -- --from <IDX dir | CSV | JSONL | .npy> --model m.onnx --out set.efev [--task …]`
 * Builds an eval set (EFEV, docs/models.md "Eval sets") for a model from labelled data a third party has: shapes the
 * samples for the model's input, checks the labels against the task and the model's output with the same rules as
 * the upload (evalSetProblems), and writes the file to upload beside the model.
 */
import { writeFile } from 'node:fs/promises';
import { InferenceSession } from 'onnxruntime-node';
import {
  EVAL_TASKS, EvalSetFormatError, encodeEvalSet, evalSetProblems, readModelSignature, type EvalSet, type EvalTask, type TensorInfo,
} from '@edgefleet/contracts';
import { CommandLine, CommandSpec, runCommand } from '@edgefleet/toolkit';
import { DatasetError } from '../data/dataset-error';
import { readEvalSamples, type EvalSamples } from '../data/eval-source';

const COMMAND: CommandSpec = {
  name: 'eval-set',
  invocation: 'npm run eval-set --',
  summary: 'Builds an eval set (EFEV) for a model from labelled data, for upload with it (POST /api/v1/models, field evalSet).',
  options: {
    from: { type: 'string', arg: '<path>', help: 'an MNIST-layout IDX folder (its t10k part), a .csv (labels first), a .jsonl ({"x": [...], "y": ...}) or a .npy of features (required)' },
    labels: { type: 'string', arg: '<y.npy>', help: 'with a .npy --from: the labels, shape (n,) or (n, k)' },
    'label-columns': { type: 'string', arg: '<k>', help: 'CSV: how many leading columns are labels (default 1; k for multilabel and multi-output regression)' },
    model: { type: 'string', arg: '<m.onnx>', help: 'the model the set is for: names the input and checks the fit (required)' },
    out: { type: 'string', arg: '<set.efev>', help: 'where to write the eval set (required)' },
    task: { type: 'string', arg: `<${EVAL_TASKS.join('|')}>`, help: 'what the labels mean (default multiclass)' },
    threshold: { type: 'string', arg: '<p>', help: 'binary, multilabel: a probability at or above it is positive (default 0.5)' },
    input: { type: 'string', arg: '<name>', help: 'the model input the samples feed (default its first)' },
    limit: { type: 'string', arg: '<n>', help: 'keep the first n samples' },
    json: { type: 'boolean', help: 'print what was written as one JSON object' },
  },
};

async function main(cl: CommandLine): Promise<void> {
  cl.require('from', 'model', 'out');
  const task = cl.oneOf('task', EVAL_TASKS) ?? 'multiclass';
  const threshold = cl.number('threshold', { above: 0, max: 0.999999 });
  const labelColumns = cl.number('label-columns', { integer: true, min: 1, max: 4096 });
  const limit = cl.number('limit', { integer: true, min: 1 });
  cl.check(threshold === undefined || task === 'binary' || task === 'multilabel', '--threshold applies to binary and multilabel tasks');
  cl.done();
  const from = cl.string('from')!;
  let samples = await readEvalSamples(from, { labelColumns, labelsFile: cl.string('labels') });
  if (limit !== undefined && limit < samples.n) samples = firstRows(samples, limit);
  const model = await signature(cl.string('model')!);
  const input = cl.string('input') ?? model.inputs[0]?.name;
  const meta = model.inputs.find((i) => i.name === input);
  if (!meta) throw new DatasetError(cl.string('model')!, `has no input "${input}" (inputs: ${model.inputs.map((i) => i.name).join(', ')})`);

  const set = buildEvalSet(samples, task, meta, model.outputs[0], threshold, from);
  const problems = evalSetProblems(set, model.inputs, model.outputs);
  if (problems.length > 0) throw new DatasetError(from, `does not fit the model: ${problems.join('; ')}`);
  const bytes = encodeEvalSet(set);
  await writeFile(cl.string('out')!, bytes);
  const summary = {
    out: cl.string('out')!, bytes: bytes.length, samples: set.n, sampleShape: set.sampleShape, input: meta.name, task,
    numClasses: set.numClasses, ...(set.threshold !== undefined && { threshold: set.threshold }),
  };
  if (cl.flag('json')) console.log(JSON.stringify(summary));
  else console.log(`wrote ${summary.out}: ${set.n} samples of [${set.sampleShape.join(', ')}] for input "${meta.name}", task ${task}${task === 'regression' ? ` (${set.numClasses} value(s))` : ` (${set.numClasses} ${task === 'multilabel' ? 'labels' : 'classes'})`}`);
}

function firstRows(s: EvalSamples, n: number): EvalSamples {
  const features = s.x.length / s.n;
  return { ...s, n, x: s.x.slice(0, n * features), labels: s.labels.slice(0, n * s.labelWidth) };
}

/** The samples shaped for `input`: its fixed dims when they hold the features, else the source's own shape. */
function sampleShapeFor(s: EvalSamples, input: TensorInfo): number[] {
  const features = s.x.length / s.n;
  const rest = input.dims.slice(1);
  if (rest.length > 0 && rest.every((d) => typeof d === 'number' && d > 0) && (rest as number[]).reduce((a, b) => a * b, 1) === features) return rest as number[];
  return s.sampleShape;
}

function buildEvalSet(s: EvalSamples, task: EvalTask, input: TensorInfo, output: TensorInfo | undefined, threshold: number | undefined, from: string): EvalSet {
  const base = { inputName: input.name, sampleShape: sampleShapeFor(s, input), x: s.x, n: s.n };
  const bad = (i: number, what: string) => new DatasetError(from, `sample ${i}: label ${s.labels[i]} is not ${what} (task ${task})`);
  switch (task) {
    case 'multiclass':
    case 'binary': {
      if (s.labelWidth !== 1) throw new DatasetError(from, `${task} needs one label per sample, the source has ${s.labelWidth}`);
      const max = task === 'binary' ? 1 : Infinity;
      const y = Int32Array.from(s.labels, (v, i) => {
        if (!Number.isInteger(v) || v < 0 || v > max) throw bad(i, task === 'binary' ? '0 or 1' : 'a class index ≥ 0');
        return v;
      });
      const width = output?.dims[output.dims.length - 1];
      const numClasses = task === 'binary' ? 2 : typeof width === 'number' && width > 0 ? width : Math.max(...y) + 1;
      return { ...base, y, numClasses, ...(task === 'binary' && { task, threshold: threshold ?? 0.5 }) };
    }
    case 'multilabel':
    case 'regression': {
      if (task === 'multilabel') s.labels.forEach((v, i) => { if (v !== 0 && v !== 1) throw bad(i, '0 or 1'); });
      return {
        ...base, y: new Int32Array(s.n), numClasses: s.labelWidth, task, targets: Float32Array.from(s.labels),
        ...(task === 'multilabel' && { threshold: threshold ?? 0.5 }),
      };
    }
  }
}

const signature = (path: string) => readModelSignature(
  () => InferenceSession.create(path, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 }), (reason) => new DatasetError(path, reason));

runCommand(COMMAND, process.argv.slice(2), main, (err) => err instanceof DatasetError || err instanceof EvalSetFormatError);
