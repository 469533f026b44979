import { fitLatencyModel, type LatencyModelOptions } from './latency-model';
import { median } from './least-squares';
import { fitMemoryModel } from './memory-model';
import type { ClassProfile, LatencySource, Observation, Variant } from './types';

/** How prediction errs for one class on held-out reports. */
export interface ClassError {
  profileClass: string;
  name?: string;
  /** Held-out (class, variant) pairs predicted. */
  pairs: number;
  /** Mean absolute percentage error of the p95 prediction against the held-out reports' median p95. */
  mape: number;
  maxApe: number;
  sources: Partial<Record<LatencySource, number>>;
}

export interface HoldoutResult {
  mode: HoldoutMode;
  perClass: ClassError[];
  overall: { pairs: number; mape: number; maxApe: number };
}

/**
 * `pair`: each (class, variant) is held out in turn — the model sees the class's other variants and every
 * other class (the everyday case: a new variant for a known class).
 * `variant`: each variant is held out on every class — a model never benchmarked anywhere (a new upload, a
 * student being sized): only its MACs speak.
 * `class`: each class is held out whole — only the prior and the other classes speak (a new kind of device).
 */
export type HoldoutMode = 'pair' | 'variant' | 'class';

/** Leave-out evaluation of p95 latency prediction; every number comes from reports the fit never saw. */
export function evaluateHoldout(
  obs: readonly Observation[],
  variants: readonly Variant[],
  classes: readonly ClassProfile[],
  mode: HoldoutMode,
  opts: LatencyModelOptions = {},
): HoldoutResult {
  const byId = new Map(variants.map((v) => [v.id, v]));
  const groups = new Map<string, Observation[]>();
  for (const o of obs) {
    if (!byId.has(o.variantId) || !(o.latencyP95Ms > 0)) continue;
    const k = `${o.profileClass}\u0000${o.variantId}`;
    groups.set(k, [...(groups.get(k) ?? []), o]);
  }
  const errors = new Map<string, { apes: number[]; sources: Partial<Record<LatencySource, number>> }>();
  for (const cls of classes) {
    const mine = [...groups.values()].filter((g) => g[0]!.profileClass === cls.profileClass);
    if (mine.length === 0) continue;
    const e = { apes: [] as number[], sources: {} as Partial<Record<LatencySource, number>> };
    const classModel = mode === 'class' ? fitLatencyModel(obs.filter((o) => o.profileClass !== cls.profileClass), variants, classes, opts) : undefined;
    for (const g of mine) {
      const v = byId.get(g[0]!.variantId)!;
      const keep = (o: Observation) => (mode === 'variant' ? o.variantId !== v.id : !(o.profileClass === cls.profileClass && o.variantId === v.id));
      const model = classModel ?? fitLatencyModel(obs.filter(keep), variants, classes, opts);
      const p = model.predict(cls, v);
      const truth = median(g.map((o) => o.latencyP95Ms));
      e.apes.push(Math.abs(p.ms - truth) / truth);
      e.sources[p.source] = (e.sources[p.source] ?? 0) + 1;
    }
    errors.set(cls.profileClass, e);
  }
  const perClass = classes.filter((c) => errors.has(c.profileClass)).map((c) => {
    const e = errors.get(c.profileClass)!;
    return { profileClass: c.profileClass, name: c.name, pairs: e.apes.length, mape: mean(e.apes), maxApe: Math.max(...e.apes), sources: e.sources };
  });
  const all = [...errors.values()].flatMap((e) => e.apes);
  return { mode, perClass, overall: { pairs: all.length, mape: all.length ? mean(all) : NaN, maxApe: all.length ? Math.max(...all) : NaN } };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Memory: each variant held out (all its reports), predicted from its size by the fit on the others. */
export function evaluateMemoryHoldout(obs: readonly Observation[], variants: readonly Variant[]): { variants: number; mape: number; maxApe: number } {
  const apes: number[] = [];
  for (const v of variants) {
    const truth = obs.filter((o) => o.variantId === v.id && o.modelMemoryMb !== undefined && o.modelMemoryMb > 0).map((o) => o.modelMemoryMb!);
    if (truth.length === 0) continue;
    const m = fitMemoryModel(obs.filter((o) => o.variantId !== v.id), variants);
    const t = median(truth);
    apes.push(Math.abs(m.predict({ id: `${v.id}#held-out`, sizeBytes: v.sizeBytes }).mb - t) / t);
  }
  return { variants: apes.length, mape: apes.length ? mean(apes) : NaN, maxApe: apes.length ? Math.max(...apes) : NaN };
}
