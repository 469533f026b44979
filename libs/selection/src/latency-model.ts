import { computeScore } from './compute-score';
import { fitLineNonNegative, median, type LineFit } from './least-squares';
import type { ClassProfile, LatencySource, Observation, Precision, Variant } from './types';

export interface LatencyModelOptions {
  /** Reports of one (class, variant) needed before their median is trusted over the model. */
  minReportsMeasured?: number;
  /** Distinct variants measured on a class before it gets its own line instead of the fleet's shape. */
  minClassVariants?: number;
  /** Weight of the prior (cores × MHz × lanes) in pseudo-observations when learning a class's factor. */
  priorStrength?: number;
  iterations?: number;
}

const DEFAULTS: Required<LatencyModelOptions> = { minReportsMeasured: 3, minClassVariants: 3, priorStrength: 1, iterations: 25 };

/** What the model learnt about one class. */
export interface ClassLatency {
  profileClass: string;
  score: number;
  /** Multiplier on the fleet curve; `prior` = 1 / score when the class has no reports. */
  factor: number;
  pairs: number;
  /** Reports of this class the fit used. */
  reports: number;
  line?: LineFit;
  /** latency ≈ overheadMs + MACs / throughput (fp32). */
  overheadMs: number;
  throughputGmacPerSec: number;
  source: 'class-fit' | 'fleet-fit' | 'prior';
}

export interface LatencyPrediction {
  ms: number;
  source: LatencySource;
  /**
   * The evidence the prediction rests on: reports of this variant on this class (`measured`), else reports of this
   * class (`class-fit`, `fleet-fit`; 0 for `prior`).
   */
  reports: number;
  /** Where the p95 is expected to fall: ms ÷ and × the source's typical error (LATENCY_ERROR_FACTOR). */
  interval: [number, number];
}

/**
 * Typical multiplicative error of a prediction by its source, from the held-out errors in docs/selection.md (a known
 * pair ~8%, a new model on a class that reported ~10–20%, a class's prior ~2× and once 25× off), with room for a
 * noisy host: a measured median moves by a quarter between busy and quiet runs.
 */
export const LATENCY_ERROR_FACTOR: Readonly<Record<LatencySource, number>> = { measured: 1.25, 'class-fit': 1.5, 'fleet-fit': 2, prior: 3 };

const withEvidence = (ms: number, source: LatencySource, reports: number): LatencyPrediction => {
  const f = LATENCY_ERROR_FACTOR[source];
  return { ms, source, reports, interval: [ms / f, ms * f] };
};

interface Pair {
  cls: string;
  variantId: string;
  macs: number;
  precision: Precision;
  medianMs: number;
  n: number;
}

const key = (cls: string, variantId: string) => `${cls}\u0000${variantId}`;

/**
 * latency(class c, variant v) ≈ f_c · q_p · (A + B · MACs_v)   (docs/selection.md)
 *
 * A + B·MACs is the fleet's curve for a reference device, f_c the class's slowness (prior 1 / (cores × MHz ×
 * lanes), learnt from the class's reports with that prior as `priorStrength` pseudo-observations), q_p the
 * precision's factor (fp32 = 1, others learnt, shrunk toward 1). A variant measured on other classes also carries
 * its own offset from the curve r_v (learnt, shrunk toward 1): f_c · q_p · curve · r_v. A class with enough distinct variants measured
 * gets its own line a_c + b_c · MACs; a (class, variant) with enough reports is predicted by their median.
 */
export class LatencyModel {
  constructor(
    private readonly A: number,
    private readonly B: number,
    private readonly classes: ReadonlyMap<string, ClassLatency>,
    private readonly precisionFactor: ReadonlyMap<string, number>,
    private readonly pairs: ReadonlyMap<string, Pair>,
    private readonly variantEffect: ReadonlyMap<string, number>,
    private readonly opts: Required<LatencyModelOptions>,
  ) {}

  /** The fitted fleet curve for a device of score 1 (tests and docs). */
  get fleetCurve(): LineFit {
    return { a: this.A, b: this.B };
  }

  precisionFactorOf(precision: Precision): number {
    return this.precisionFactor.get(precision) ?? 1;
  }

  classParams(cls: ClassProfile): ClassLatency {
    const known = this.classes.get(cls.profileClass);
    if (known) return known;
    const score = computeScore(cls);
    return describe(cls.profileClass, score, 1 / score, 0, 0, this.A, this.B, undefined, 'prior');
  }

  predict(cls: ClassProfile, v: Pick<Variant, 'id' | 'macs' | 'precision'>): LatencyPrediction {
    const pair = this.pairs.get(key(cls.profileClass, v.id));
    if (pair && pair.n >= this.opts.minReportsMeasured) return withEvidence(pair.medianMs, 'measured', pair.n);
    const effect = this.variantEffect.get(v.id);
    if (effect === undefined) return this.predictMacs(cls, v.macs, v.precision);
    // Measured on other classes: the variant's own cost there, scaled by this class's factor — better than any
    // curve in MACs (cache effects, op mix), as long as classes differ mainly by a factor.
    const c = this.classParams(cls);
    const ms = c.factor * this.precisionFactorOf(v.precision) * (this.A + this.B * v.macs) * Math.exp(effect);
    return withEvidence(ms, c.source === 'prior' ? 'prior' : 'fleet-fit', c.reports);
  }

  /** For a model that does not exist yet (sizing a student): from its MACs alone. */
  predictMacs(cls: ClassProfile, macs: number, precision: Precision = 'fp32'): LatencyPrediction {
    const c = this.classParams(cls);
    const q = this.precisionFactorOf(precision);
    if (c.line) return withEvidence(q * (c.line.a + c.line.b * macs), 'class-fit', c.reports);
    return withEvidence(c.factor * q * (this.A + this.B * macs), c.source === 'prior' ? 'prior' : 'fleet-fit', c.reports);
  }
}

function describe(cls: string, score: number, factor: number, pairs: number, reports: number, A: number, B: number, line: LineFit | undefined, source: ClassLatency['source']): ClassLatency {
  const a = line ? line.a : factor * A;
  const b = line ? line.b : factor * B;
  return { profileClass: cls, score, factor, pairs, reports, line, overheadMs: a, throughputGmacPerSec: b > 0 ? 1 / b / 1e6 : Infinity, source };
}

/** Groups reports by (class, variant); reports of unknown variants or without a p95 are left out. */
function aggregate(obs: readonly Observation[], variants: ReadonlyMap<string, Variant>): Map<string, Pair> {
  const groups = new Map<string, { cls: string; v: Variant; ms: number[] }>();
  for (const o of obs) {
    const v = variants.get(o.variantId);
    if (!v || !(o.latencyP95Ms > 0) || !(v.macs >= 0)) continue;
    const k = key(o.profileClass, o.variantId);
    const g = groups.get(k) ?? { cls: o.profileClass, v, ms: [] };
    g.ms.push(o.latencyP95Ms);
    groups.set(k, g);
  }
  const out = new Map<string, Pair>();
  for (const [k, g] of groups) out.set(k, { cls: g.cls, variantId: g.v.id, macs: g.v.macs, precision: g.v.precision, medianMs: median(g.ms), n: g.ms.length });
  return out;
}

export function fitLatencyModel(
  obs: readonly Observation[],
  variants: readonly Variant[],
  classes: readonly ClassProfile[],
  options: LatencyModelOptions = {},
): LatencyModel {
  const opts = { ...DEFAULTS, ...options };
  const byId = new Map(variants.map((v) => [v.id, v]));
  const pairs = aggregate(obs, byId);
  const profiles = new Map(classes.map((c) => [c.profileClass, c]));
  const list = [...pairs.values()].filter((p) => profiles.has(p.cls));
  const logPrior = new Map<string, number>();
  for (const p of list) logPrior.set(p.cls, -Math.log(computeScore(profiles.get(p.cls)!)));

  const logF = new Map(logPrior);
  const logQ = new Map<string, number>();
  const logR = new Map<string, number>();
  let A = 0, B = 0;
  const lam = opts.priorStrength;
  const f = (c: string) => Math.exp(logF.get(c)!);
  const q = (p: Precision) => Math.exp(logQ.get(p) ?? 0);
  const r = (id: string) => Math.exp(logR.get(id) ?? 0);
  for (let it = 0; it < opts.iterations && list.length > 0; it++) {
    const line = fitLineNonNegative(list.map((p) => ({ x: p.macs, y: p.medianMs / (f(p.cls) * q(p.precision)) })));
    if (!line) break;
    A = line.a; B = line.b;
    const curve = (p: Pair) => Math.max(1e-12, A + B * p.macs);
    // Class factors: mean log residual, shrunk toward the prior.
    const sums = new Map<string, { s: number; n: number }>();
    for (const p of list) {
      const e = sums.get(p.cls) ?? { s: 0, n: 0 };
      e.s += Math.log(p.medianMs / (q(p.precision) * r(p.variantId) * curve(p)));
      e.n += 1;
      sums.set(p.cls, e);
    }
    for (const [c, e] of sums) logF.set(c, (e.s + lam * logPrior.get(c)!) / (e.n + lam));
    // Keep the classes' mean deviation from their prior at zero, so an unseen class (prior only) sits on the
    // fleet's typical class, not wherever the scale drifted.
    let shift = 0;
    for (const c of sums.keys()) shift += logF.get(c)! - logPrior.get(c)!;
    shift /= sums.size;
    for (const c of sums.keys()) logF.set(c, logF.get(c)! - shift);
    // Precision factors (fp32 is the reference), shrunk toward 1.
    const qs = new Map<string, { s: number; n: number }>();
    for (const p of list) {
      if (p.precision === 'fp32') continue;
      const e = qs.get(p.precision) ?? { s: 0, n: 0 };
      e.s += Math.log(p.medianMs / (f(p.cls) * r(p.variantId) * curve(p)));
      e.n += 1;
      qs.set(p.precision, e);
    }
    for (const [pr, e] of qs) logQ.set(pr, e.s / (e.n + lam));
    // Variant effects: how far each measured variant sits off the MACs curve, shrunk toward 0.
    const rs = new Map<string, { s: number; n: number }>();
    for (const p of list) {
      const e = rs.get(p.variantId) ?? { s: 0, n: 0 };
      e.s += Math.log(p.medianMs / (f(p.cls) * q(p.precision) * curve(p)));
      e.n += 1;
      rs.set(p.variantId, e);
    }
    for (const [id, e] of rs) logR.set(id, e.s / (e.n + lam));
    // Centred per precision, so the precision factor carries what int8 (or fp16) variants share and r_v only
    // what sets one variant apart.
    for (const pr of new Set(list.map((p) => p.precision))) {
      const ids = [...rs.keys()].filter((id) => byId.get(id)!.precision === pr);
      const mean = ids.reduce((a, id) => a + logR.get(id)!, 0) / ids.length;
      for (const id of ids) logR.set(id, logR.get(id)! - mean);
    }
  }
  // Bring A, B back to the scale the last factors imply (the shift moved it).
  if (list.length > 0) {
    const line = fitLineNonNegative(list.map((p) => ({ x: p.macs, y: p.medianMs / (f(p.cls) * q(p.precision)) })));
    if (line) { A = line.a; B = line.b; }
  }

  const out = new Map<string, ClassLatency>();
  for (const c of new Set(list.map((p) => p.cls))) {
    const mine = list.filter((p) => p.cls === c);
    const distinct = new Set(mine.map((p) => p.macs)).size;
    const line = distinct >= opts.minClassVariants
      ? fitLineNonNegative(mine.map((p) => ({ x: p.macs, y: p.medianMs / q(p.precision) })))
      : undefined;
    const reports = mine.reduce((n, p) => n + p.n, 0);
    out.set(c, describe(c, Math.exp(-logPrior.get(c)!), f(c), mine.length, reports, A, B, line, line ? 'class-fit' : 'fleet-fit'));
  }
  const qOut = new Map<string, number>([['fp32', 1]]);
  for (const [p, l] of logQ) qOut.set(p, Math.exp(l));
  return new LatencyModel(A, B, out, qOut, pairs, logR, opts);
}
