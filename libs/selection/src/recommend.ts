import { assessCandidate, chooseBest, rejectSlowerInt8, type CandidateAssessment } from './assess';
import { fitLatencyModel, type ClassLatency, type LatencyModel, type LatencyModelOptions } from './latency-model';
import { fitMemoryModel, type MemoryModel } from './memory-model';
import { sizeStudent, type SizingResult, type StudentProposal } from './student-sizing';
import type { Budget, ClassProfile, Observation, Variant } from './types';

export type Decision = 'use-existing' | 'distill-student' | 'no-feasible-student';

export interface Recommendation {
  profileClass: string;
  family?: string;
  budget: Budget;
  decision: Decision;
  /** Set when decision = use-existing. */
  chosen?: CandidateAssessment;
  /** Every variant of the family, most accurate first, with predictions and the verdict. */
  candidates: CandidateAssessment[];
  /** Set when decision = distill-student: what to distil for this class. */
  student?: StudentProposal;
  /** Set when decision = no-feasible-student: the existing variant nearest the budget, if any. */
  closest?: CandidateAssessment;
  /** The smallest student searched, when no student fits (how far off even that one is). */
  smallestStudent?: StudentProposal;
  sizing?: Pick<SizingResult, 'searched' | 'fitting' | 'reasons' | 'smallestWorstRatio'>;
  /** What the latency model knows about this class. */
  classModel: ClassLatency;
  /** One-line verdict, then details. */
  reasons: string[];
}

export interface Predictors {
  latency: LatencyModel;
  memory: MemoryModel;
}

/** Fits both models on every report of the fleet. */
export function fitPredictors(obs: readonly Observation[], variants: readonly Variant[], classes: readonly ClassProfile[], opts?: LatencyModelOptions): Predictors {
  return { latency: fitLatencyModel(obs, variants, classes, opts), memory: fitMemoryModel(obs, variants) };
}

export interface RecommendInput {
  cls: ClassProfile;
  budget: Budget;
  /** Only variants of this family are candidates (and the student is sized for its data). */
  family?: string;
  variants: readonly Variant[];
  observations: readonly Observation[];
  /** Every class known (for the fleet-wide fit). */
  classes: readonly ClassProfile[];
  predictors?: Predictors;
  headroom?: number;
  /** Variants that are not candidates (e.g. devices of the class rejected them); still used to fit the models. */
  exclude?: ReadonlySet<string>;
}

/**
 * Picks the most accurate variant of the family that fits the class's budget; when none fits, sizes a student
 * for it; when no student can fit either, says so with the closest candidate. Pure: the caller loads the data.
 */
export function recommend(input: RecommendInput): Recommendation {
  const { cls, budget, family } = input;
  const classes = input.classes.some((c) => c.profileClass === cls.profileClass) ? input.classes : [...input.classes, cls];
  const { latency, memory } = input.predictors ?? fitPredictors(input.observations, input.variants, classes);
  const familyVariants = input.variants.filter((v) => family === undefined || v.family === family);
  const pool = familyVariants.filter((v) => !input.exclude?.has(v.id));
  const candidates = pool.map((v) => assessCandidate(v, cls, budget, latency, memory, input.observations))
    .sort((a, b) => (b.accuracy ?? -1) - (a.accuracy ?? -1) || a.predictedLatencyP95Ms - b.predictedLatencyP95Ms);
  rejectSlowerInt8(candidates, pool);
  const chosen = chooseBest(candidates);
  const base = { profileClass: cls.profileClass, family, budget, candidates, classModel: latency.classParams(cls) };
  if (chosen) {
    return { ...base, decision: 'use-existing', chosen, reasons: [`use ${chosen.name} ${chosen.version ?? ''} ${chosen.precision}`.replace(/\s+/g, ' ').trim(), ...chosen.reasons] };
  }
  const closest = [...candidates].sort((a, b) => a.worstRatio - b.worstRatio)[0];
  const shapeFrom = familyVariants.find((v) => v.inputShape && v.numClasses);
  if (!shapeFrom) {
    return {
      ...base, decision: 'no-feasible-student', closest,
      reasons: [`no feasible student: no variant fits and the family ${family ?? '(any)'} has no model with a known input shape and class count to size a student for`],
    };
  }
  const accuracies = familyVariants.map((v) => v.accuracy).concat(candidates.map((c) => c.accuracy)).filter((a): a is number => a !== undefined);
  const sizing = sizeStudent({
    cls, budget, latency, memory, sampleShape: shapeFrom.inputShape!, numClasses: shapeFrom.numClasses!,
    bestKnownAccuracy: accuracies.length ? Math.max(...accuracies) : undefined, headroom: input.headroom,
  });
  const sizingInfo = { searched: sizing.searched, fitting: sizing.fitting, reasons: sizing.reasons, smallestWorstRatio: sizing.smallestWorstRatio };
  if (sizing.feasible) {
    return {
      ...base, decision: 'distill-student', student: sizing.proposal, sizing: sizingInfo,
      reasons: [`no variant of ${candidates.length} fits: distil ${sizing.proposal!.student}`, ...sizing.reasons],
    };
  }
  return {
    ...base, decision: 'no-feasible-student', closest, smallestStudent: sizing.smallest, sizing: sizingInfo,
    reasons: [...sizing.reasons, closest ? `closest existing candidate: ${closest.name} ${closest.precision} (${closest.reasons.slice(0, -1).join('; ')})` : 'the family has no variants'],
  };
}
