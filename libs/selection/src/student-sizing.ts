import { Network, cnn, formatModelSpec, imageShape, isImageShape, mlp, type ModelSpec } from '@edgefleet/distill';
import type { LatencyModel } from './latency-model';
import type { MemoryModel } from './memory-model';
import { narrowestHiddenWidth, pickStudent } from './student-ranking';
import type { Budget, ClassProfile } from './types';

/** A student that does not exist yet, sized for a class's budget. */
export interface StudentProposal {
  spec: ModelSpec;
  /** The distill CLI's student syntax (`mlp:256x128`, `cnn:8-16-32`), also accepted as `students` by jobs. */
  student: string;
  macs: number;
  params: number;
  /** fp32 weights: 4 bytes per parameter. */
  sizeBytes: number;
  predictedLatencyP95Ms: number;
  predictedMemoryMb: number;
}

export interface SizingResult {
  feasible: boolean;
  /** The largest student predicted to fit with headroom. */
  proposal?: StudentProposal;
  /** When infeasible: the smallest student of the search (the closest one can get). */
  smallest?: StudentProposal;
  /**
   * When infeasible only because even the smallest student is predicted too slow or too big: max(predicted / allowed)
   * of that student's latency and memory against the budget itself (no headroom). Unset when the reason is accuracy.
   */
  smallestWorstRatio?: number;
  /** Students searched, and how many fit. */
  searched: number;
  fitting: number;
  reasons: string[];
}

export interface SizingInput {
  cls: ClassProfile;
  budget: Budget;
  latency: LatencyModel;
  memory: MemoryModel;
  /** The family's sample shape (no batch axis) and class count. */
  sampleShape: number[];
  numClasses: number;
  /** Best accuracy any model of the family reached (the teacher's, usually): a student is not expected to beat it. */
  bestKnownAccuracy?: number;
  /**
   * Fraction of the budget a proposed student may use: predictions err (docs/selection.md), and a student
   * that misses its budget costs a whole distillation. Default 0.85.
   */
  headroom?: number;
  families?: Array<'mlp' | 'cnn'>;
}

const MLP_WIDTHS = [8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024];
const CNN_CHANNELS = [2, 4, 8, 16, 32];
const CNN_DENSE = [16, 32, 64, 128];

/** Widths × depths of the MLP family and narrow CNNs (images only), as in libs/distill's ladder. */
export function studentSearchSpace(sampleShape: number[], numClasses: number, families: Array<'mlp' | 'cnn'> = ['mlp', 'cnn']): Array<{ spec: ModelSpec; student: string }> {
  const F = sampleShape.reduce((a, b) => a * b, 1);
  const out: Array<{ spec: ModelSpec; student: string }> = [];
  if (families.includes('mlp')) {
    for (const w of MLP_WIDTHS) {
      for (const hidden of [[w], [w, w >> 1], [w, w >> 1, w >> 2]]) {
        if (hidden.some((h) => h < 8)) continue;
        const spec = mlp([F, ...hidden, numClasses]);
        out.push({ spec, student: formatModelSpec(spec) });
      }
    }
  }
  const image = isImageShape(sampleShape) ? imageShape(sampleShape) : undefined; // tabular: only MLPs apply
  if (families.includes('cnn') && image) {
    for (const c of CNN_CHANNELS) {
      for (const d of CNN_DENSE) {
        const spec = cnn({ channels: [c, 2 * c], dense: d, numClasses, inputShape: image });
        out.push({ spec, student: formatModelSpec(spec) });
      }
    }
  }
  return out;
}

function propose(s: { spec: ModelSpec; student: string }, input: SizingInput): StudentProposal {
  const net = new Network(s.spec, input.sampleShape);
  const params = net.paramCount;
  const sizeBytes = params * 4;
  return {
    spec: s.spec, student: s.student, macs: net.macs, params, sizeBytes,
    predictedLatencyP95Ms: input.latency.predictMacs(input.cls, net.macs, 'fp32').ms,
    predictedMemoryMb: input.memory.predictBytes(sizeBytes).mb,
  };
}

/** Why no student can be made for a request (a 422 at the API, a non-retryable failure in a worker). */
export class NoFeasibleStudentError extends Error {
  override readonly name = 'NoFeasibleStudentError';
}

/** A size limit for a student, when a request names no student and no device class. */
export interface SizeBudget {
  maxParams?: number;
  maxMacs?: number;
}

/**
 * The student for a size budget: the same search space and the same pick (`pickStudent`) as sizeStudent, with the
 * budget counted in parameters and MACs instead of predicted latency and memory. Throws NoFeasibleStudentError
 * naming the smallest student when none fits.
 */
export function studentForSizeBudget(budget: SizeBudget, sampleShape: number[], numClasses: number): { student: string; params: number; macs: number } {
  const sized = studentSearchSpace(sampleShape, numClasses).map((s) => {
    const net = new Network(s.spec, sampleShape);
    return { ...s, params: net.paramCount, macs: net.macs };
  });
  const fits = sized.filter((s) => (budget.maxParams === undefined || s.params <= budget.maxParams) && (budget.maxMacs === undefined || s.macs <= budget.maxMacs));
  if (fits.length === 0) {
    const smallest = sized.sort((a, b) => a.macs - b.macs || a.params - b.params)[0];
    throw new NoFeasibleStudentError(smallest
      ? `no student fits ${JSON.stringify(budget)}; the smallest candidate ${smallest.student} has ${smallest.params} params and ${smallest.macs} MACs`
      : `no student fits ${JSON.stringify(budget)}: no student shapes for samples of shape [${sampleShape}]`);
  }
  const { student, params, macs } = pickStudent(fits);
  return { student, params, macs };
}

/**
 * Searches the student families for a student whose predicted latency and memory fit `headroom` × budget: among
 * the biggest that fit (by MACs: more compute, more capacity), the one with the widest narrowest layer
 * (`pickStudent`). Answers infeasible, with the smallest student as the closest
 * thing, when even that does not fit, or when the required accuracy is above anything the family has reached.
 */
export function sizeStudent(input: SizingInput): SizingResult {
  const headroom = input.headroom ?? 0.85;
  const maxLat = (input.budget.maxLatencyP95Ms ?? Infinity) * headroom;
  const maxMem = Math.min(input.budget.maxMemoryMb ?? Infinity, input.cls.ramMb) * headroom;
  const all = studentSearchSpace(input.sampleShape, input.numClasses, input.families).map((s) => propose(s, input))
    .sort((a, b) => a.macs - b.macs || a.params - b.params);
  const smallest = all[0];
  const fitting = all.filter((p) => p.predictedLatencyP95Ms <= maxLat && p.predictedMemoryMb <= maxMem);
  const reasons: string[] = [];
  const { minAccuracy } = input.budget;
  if (minAccuracy !== undefined && input.bestKnownAccuracy !== undefined && minAccuracy > input.bestKnownAccuracy) {
    reasons.push(`no feasible student: minAccuracy ${minAccuracy} is above the best accuracy of the family (${input.bestKnownAccuracy}); a student is not expected to beat its teacher`);
    return { feasible: false, smallest, searched: all.length, fitting: fitting.length, reasons };
  }
  if (fitting.length === 0) {
    const s = smallest;
    const smallestWorstRatio = s && Math.max(s.predictedLatencyP95Ms / (maxLat / headroom), s.predictedMemoryMb / (maxMem / headroom));
    reasons.push(s
      ? `no feasible student: the smallest of ${all.length} searched (${s.student}, ${s.macs} MACs) is predicted at p95 ${s.predictedLatencyP95Ms.toPrecision(3)} ms / ${s.predictedMemoryMb.toPrecision(3)} MB against ${fmtLimit(maxLat)} ms / ${fmtLimit(maxMem)} MB (${headroom} × budget)`
      : 'no feasible student: the family has no student shapes for this data');
    return { feasible: false, smallest, smallestWorstRatio, searched: all.length, fitting: 0, reasons };
  }
  const proposal = pickStudent(fitting);
  reasons.push(`${proposal.student}: widest (narrowest layer ${narrowestHiddenWidth(proposal.spec)}) among the largest of ${fitting.length}/${all.length} searched students predicted within ${headroom} × budget (p95 ${proposal.predictedLatencyP95Ms.toPrecision(3)} ms, ${proposal.predictedMemoryMb.toPrecision(3)} MB)`);
  if (minAccuracy !== undefined) reasons.push(`accuracy ≥ ${minAccuracy} is checked after distillation (the job's result and the devices' gates), not predicted`);
  return { feasible: true, proposal, smallest, searched: all.length, fitting: fitting.length, reasons };
}

const fmtLimit = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : '∞');
