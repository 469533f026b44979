import type { LatencyModel } from './latency-model';
import { median } from './least-squares';
import type { MemoryModel } from './memory-model';
import type { AccuracySource, Budget, ClassProfile, LatencySource, MemorySource, Observation, Variant } from './types';

/** One catalogue variant judged against a class's budget. */
export interface CandidateAssessment {
  variantId: string;
  name: string;
  version?: string;
  precision: string;
  macs: number;
  params?: number | null;
  sizeBytes: number;
  predictedLatencyP95Ms: number;
  latencySource: LatencySource;
  /** Reports the latency prediction rests on (LatencyPrediction.reports). */
  latencyReports: number;
  /** Where the p95 is expected to fall (LatencyPrediction.interval). */
  latencyIntervalMs: [number, number];
  predictedMemoryMb: number;
  memorySource: MemorySource;
  accuracy?: number;
  accuracySource: AccuracySource;
  fits: boolean;
  chosen: boolean;
  /** Each check, passed or failed, in words; the last one says why it was taken or not. */
  reasons: string[];
  /** max over the checks of (predicted / allowed); ≤ 1 fits. Ranks near misses. */
  worstRatio: number;
  /** The checks it fails (empty when it fits). */
  failedChecks: Array<'latency' | 'memory' | 'accuracy' | 'slower-than-fp32'>;
}

const fmt = (x: number, digits = 3) => Number(x.toPrecision(digits)).toString();

/** Accuracy seen on this class, else on any device, else what the artifact was made with. */
function accuracyOf(v: Variant, cls: ClassProfile, obs: readonly Observation[]): { accuracy?: number; source: AccuracySource } {
  const mine = obs.filter((o) => o.variantId === v.id && o.accuracy !== undefined);
  const here = mine.filter((o) => o.profileClass === cls.profileClass).map((o) => o.accuracy!);
  if (here.length) return { accuracy: median(here), source: 'class-reports' };
  if (mine.length) return { accuracy: median(mine.map((o) => o.accuracy!)), source: 'fleet-reports' };
  if (v.accuracy !== undefined) return { accuracy: v.accuracy, source: 'artifact-metrics' };
  return { source: 'unknown' };
}

/** Predicts one variant on one class and checks it against every stated budget and the class's RAM. */
export function assessCandidate(
  v: Variant, cls: ClassProfile, budget: Budget, latency: LatencyModel, memory: MemoryModel, obs: readonly Observation[],
): CandidateAssessment {
  const lat = latency.predict(cls, v);
  const mem = memory.predict(v);
  const acc = accuracyOf(v, cls, obs);
  const reasons: string[] = [];
  const ratios: number[] = [];
  const failedChecks: CandidateAssessment['failedChecks'] = [];
  let fits = true;
  if (budget.maxLatencyP95Ms !== undefined) {
    const ok = lat.ms <= budget.maxLatencyP95Ms;
    fits &&= ok;
    if (!ok) failedChecks.push('latency');
    ratios.push(lat.ms / budget.maxLatencyP95Ms);
    reasons.push(`p95 ${fmt(lat.ms)} ms (${lat.source}, ${lat.reports} reports, ${fmt(lat.interval[0], 2)}–${fmt(lat.interval[1], 2)} ms) ${ok ? '≤' : '>'} ${budget.maxLatencyP95Ms} ms`);
  } else {
    reasons.push(`p95 ${fmt(lat.ms)} ms (${lat.source}), no latency budget`);
  }
  const memCap = Math.min(budget.maxMemoryMb ?? Infinity, cls.ramMb);
  {
    const ok = mem.mb <= memCap;
    fits &&= ok;
    if (!ok) failedChecks.push('memory');
    ratios.push(mem.mb / memCap);
    const which = budget.maxMemoryMb !== undefined && budget.maxMemoryMb <= cls.ramMb ? 'budget' : 'device RAM';
    reasons.push(`memory ${fmt(mem.mb)} MB (${mem.source}) ${ok ? '≤' : '>'} ${which} ${fmt(memCap)} MB`);
  }
  if (budget.minAccuracy !== undefined) {
    if (acc.accuracy === undefined) {
      fits = false;
      failedChecks.push('accuracy');
      ratios.push(Infinity);
      reasons.push(`accuracy unknown, ${budget.minAccuracy} required`);
    } else {
      const ok = acc.accuracy >= budget.minAccuracy;
      fits &&= ok;
      if (!ok) failedChecks.push('accuracy');
      ratios.push(acc.accuracy > 0 ? budget.minAccuracy / acc.accuracy : Infinity);
      reasons.push(`accuracy ${fmt(acc.accuracy, 4)} (${acc.source}) ${ok ? '≥' : '<'} ${budget.minAccuracy}`);
    }
  } else if (acc.accuracy !== undefined) {
    reasons.push(`accuracy ${fmt(acc.accuracy, 4)} (${acc.source})`);
  }
  return {
    variantId: v.id, name: v.name, version: v.version, precision: v.precision, macs: v.macs, params: v.params, sizeBytes: v.sizeBytes,
    predictedLatencyP95Ms: lat.ms, latencySource: lat.source, latencyReports: lat.reports, latencyIntervalMs: lat.interval, predictedMemoryMb: mem.mb, memorySource: mem.source,
    accuracy: acc.accuracy, accuracySource: acc.source, fits, chosen: false, reasons, worstRatio: Math.max(0, ...ratios), failedChecks,
  };
}

/**
 * int8 is never shipped where it is slower than its fp32 twin (same name and version): an int8 candidate is
 * rejected (`slower-than-fp32`) when, on the best evidence there is, it runs slower — both measured on this class
 * (≥ 3 reports each), else the timing where it was made (`madeLatency`), else the class's predictions (which
 * differ once the fleet has learnt an int8 factor). fp32, or fp16 where fp32 does not fit, is chosen instead.
 */
export function rejectSlowerInt8(candidates: CandidateAssessment[], variants: readonly Variant[]): void {
  const byId = new Map(variants.map((v) => [v.id, v]));
  for (const c of candidates) {
    if (c.precision !== 'int8') continue;
    const twin = candidates.find((t) => t.precision === 'fp32' && t.name === c.name && t.version === c.version);
    const made = byId.get(c.variantId)?.madeLatency;
    let verdict: string | undefined;
    if (twin && c.latencySource === 'measured' && twin.latencySource === 'measured') {
      if (c.predictedLatencyP95Ms > twin.predictedLatencyP95Ms) verdict = `measured on this class: p95 ${fmt(c.predictedLatencyP95Ms)} ms vs fp32 ${fmt(twin.predictedLatencyP95Ms)} ms`;
    } else if (made) {
      if (made.p50Ms > made.fp32P50Ms) verdict = `timed where it was made: p50 ${fmt(made.p50Ms)} ms vs fp32 ${fmt(made.fp32P50Ms)} ms`;
    } else if (twin && c.predictedLatencyP95Ms > twin.predictedLatencyP95Ms) {
      verdict = `predicted p95 ${fmt(c.predictedLatencyP95Ms)} ms vs fp32 ${fmt(twin.predictedLatencyP95Ms)} ms (${c.latencySource})`;
    }
    if (!verdict) continue;
    c.fits = false;
    c.failedChecks.push('slower-than-fp32');
    c.reasons.push(`int8 slower than fp32 (${verdict}): fp32 or fp16 ships instead`);
  }
}

/**
 * The most accurate candidate that fits; ties (or unknown accuracies) go to the faster one. Marks it chosen and
 * appends the verdict to every candidate's reasons.
 */
export function chooseBest(candidates: CandidateAssessment[]): CandidateAssessment | undefined {
  const fitting = candidates.filter((c) => c.fits);
  const best = [...fitting].sort((a, b) => (b.accuracy ?? -1) - (a.accuracy ?? -1) || a.predictedLatencyP95Ms - b.predictedLatencyP95Ms)[0];
  for (const c of candidates) {
    if (c === best) {
      c.chosen = true;
      c.reasons.push(fitting.length > 1 ? `chosen: most accurate of ${fitting.length} that fit` : 'chosen: the only one that fits');
    } else if (c.fits) {
      c.reasons.push(`fits, not chosen: ${best!.name} ${best!.precision} is more accurate or faster`);
    } else {
      c.reasons.push(c.failedChecks.length === 1 && c.failedChecks[0] === 'slower-than-fp32' ? 'rejected: slower than its fp32 twin' : 'rejected: does not fit the budget');
    }
  }
  return best;
}
