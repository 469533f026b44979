import { Network, studentCandidates, parseModelSpec, type ModelSpec } from '@edgefleet/distill';
import type { TargetBudget } from './distillation.types';

/** Why no student can be made for a request (a 422 at the API, a non-retryable failure in a worker). */
export class NoFeasibleStudentError extends Error {
  override readonly name = 'NoFeasibleStudentError';
}

/** Spec string of a candidate, in the syntax parseModelSpec reads (mlp:<h1>x…, cnn:<c1>-…-<dense>). */
function specString(spec: ModelSpec): string {
  const dense = spec.layers.filter((l): l is { kind: 'dense'; units: number } => l.kind === 'dense').map((l) => l.units);
  if (spec.family === 'mlp') return `mlp:${dense.slice(0, -1).join('x')}`;
  const convs = spec.layers.filter((l): l is { kind: 'conv2d'; filters: number; kernel: number } => l.kind === 'conv2d').map((l) => l.filters);
  return `cnn:${[...convs, dense[0]].join('-')}`;
}

/**
 * The student for a size budget: the largest candidate of the standard ladder (by MACs) within maxParams and
 * maxMacs. A richer search driven by a latency model lives in the selection module; it passes explicit students.
 */
export function studentForBudget(budget: TargetBudget, sampleShape: number[], numClasses: number): { spec: string; params: number; macs: number } {
  const sized = studentCandidates(sampleShape, numClasses).map((s) => {
    const net = new Network(s, sampleShape);
    return { spec: specString(s), params: net.paramCount, macs: net.macs };
  });
  const fits = sized.filter((s) => (budget.maxParams === undefined || s.params <= budget.maxParams) && (budget.maxMacs === undefined || s.macs <= budget.maxMacs));
  if (fits.length === 0) {
    const smallest = sized.sort((a, b) => a.macs - b.macs)[0];
    throw new NoFeasibleStudentError(`no student fits ${JSON.stringify(budget)}; the smallest candidate ${smallest?.spec} has ${smallest?.params} params and ${smallest?.macs} MACs`);
  }
  return fits.sort((a, b) => b.macs - a.macs)[0]!;
}

/** Checks student spec strings against the data set's shape; throws DistillConfigError for a bad one. */
export function checkStudents(students: string[], sampleShape: number[], numClasses: number): void {
  for (const s of students) new Network(parseModelSpec(s, sampleShape, numClasses), sampleShape);
}
