import { evalTaskOf, type EvalSet } from './eval-set';
import type { TensorInfo } from './profile';
import { SPARSE_INPUTS } from './text-featurizer';

/**
 * Problems that would make an eval set useless for a model, or none. The device feeds the samples to one model
 * input in batches, so that input must be float32 with a leading batch dimension followed by the sample shape,
 * and the first output must give `numClasses` values per sample (binary: 1 probability, or 2 columns). Symbolic
 * dimensions accept any size.
 */
export function evalSetProblems(set: Pick<EvalSet, 'inputName' | 'sampleShape' | 'numClasses' | 'n' | 'task' | 'sparse'>, inputs: TensorInfo[], outputs: TensorInfo[]): string[] {
  const problems: string[] = [];
  if (set.n < 1) problems.push('eval set has no samples');
  const inputProblems = set.sparse ? sparseInputProblems(inputs) : denseInputProblems(set, inputs);
  problems.push(...inputProblems.problems);
  if (inputProblems.stop) return problems;
  const scores = outputs[0];
  const width = scores?.dims[scores.dims.length - 1];
  const task = evalTaskOf(set);
  if (task === 'binary') {
    if (typeof width === 'number' && width > 2) problems.push(`output "${scores!.name}" gives ${width} values per sample, a binary eval set needs 1 (a probability) or 2`);
  } else if (typeof width === 'number' && width > 0 && width !== set.numClasses) {
    const what = task === 'multiclass' ? 'classes' : task === 'multilabel' ? 'labels' : 'values';
    problems.push(`output "${scores!.name}" scores ${width} ${what}, the eval set has ${set.numClasses}`);
  }
  return problems;
}

/** The one float32 input the samples feed, [batch, ...sampleShape]. */
function denseInputProblems(set: Pick<EvalSet, 'inputName' | 'sampleShape'>, inputs: TensorInfo[]): { problems: string[]; stop?: boolean } {
  const problems: string[] = [];
  const input = set.inputName ? inputs.find((i) => i.name === set.inputName) : inputs[0];
  if (!input) {
    problems.push(set.inputName ? `eval set feeds input "${set.inputName}", the model's inputs are ${inputs.map((i) => i.name).join(', ')}` : 'model has no inputs');
    return { problems, stop: true };
  }
  if (input.type !== 'float32') problems.push(`input "${input.name}" is ${input.type}; eval sets carry float32 samples`);
  const want = `[batch, ${set.sampleShape.join(', ')}]`;
  if (input.dims.length !== set.sampleShape.length + 1) {
    problems.push(`input "${input.name}" has shape [${input.dims.join(', ')}], eval set samples need ${want}`);
  } else {
    set.sampleShape.forEach((size, i) => {
      const dim = input.dims[i + 1];
      if (typeof dim === 'number' && dim > 0 && dim !== size) {
        problems.push(`input "${input.name}" dimension ${i + 1} is ${dim}, eval set samples have ${size} (shape ${want})`);
      }
    });
  }
  return { problems };
}

/** A sparse-layout text model (text-featurizer.ts) takes int32 `indices` and float32 `weights`, both [batch, n]. */
function sparseInputProblems(inputs: TensorInfo[]): { problems: string[]; stop?: boolean } {
  const want: Record<string, string> = { [SPARSE_INPUTS.indices]: 'int32', [SPARSE_INPUTS.weights]: 'float32' };
  const problems = Object.entries(want).map(([name, type]) => {
    const input = inputs.find((i) => i.name === name);
    if (!input) return `the featurizer's sparse layout feeds inputs ${Object.keys(want).join(' and ')}, the model's inputs are ${inputs.map((i) => i.name).join(', ')}`;
    if (input.type !== type || input.dims.length !== 2) return `input "${name}" is ${input.type} [${input.dims.join(', ')}]; the sparse layout needs ${type} [batch, n]`;
    return undefined;
  }).filter((p): p is string => p !== undefined);
  return { problems: [...new Set(problems)] };
}
