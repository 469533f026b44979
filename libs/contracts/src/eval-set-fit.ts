import { evalTaskOf, type EvalSet } from './eval-set';
import type { TensorInfo } from './profile';

/**
 * Problems that would make an eval set useless for a model, or none. The device feeds the samples to one model
 * input in batches, so that input must be float32 with a leading batch dimension followed by the sample shape,
 * and the first output must give `numClasses` values per sample (binary: 1 probability, or 2 columns). Symbolic
 * dimensions accept any size.
 */
export function evalSetProblems(set: Pick<EvalSet, 'inputName' | 'sampleShape' | 'numClasses' | 'n' | 'task'>, inputs: TensorInfo[], outputs: TensorInfo[]): string[] {
  const problems: string[] = [];
  if (set.n < 1) problems.push('eval set has no samples');
  const input = set.inputName ? inputs.find((i) => i.name === set.inputName) : inputs[0];
  if (!input) {
    problems.push(set.inputName ? `eval set feeds input "${set.inputName}", the model's inputs are ${inputs.map((i) => i.name).join(', ')}` : 'model has no inputs');
    return problems;
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
