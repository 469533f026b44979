import { fitLineNonNegative, type LineFit } from './least-squares';

/**
 * Fraction of the peak fp32 multiply-accumulate rate (cores × MHz × lanes, one FMA per lane per cycle) that a
 * batch-1 inference reaches. docs/autopilot.md measured ~20 GMAC/s for MLPs of 0.1–1.3 M MACs on the 2-core dev
 * machine, against a peak of a few tens of GMAC/s: about a quarter.
 */
export const PRIOR_MAC_EFFICIENCY = 0.25;

/**
 * Cost per MAC, in ms, of a device of compute score 1 (the unit of the fleet curve, whose class factors start at
 * 1 / score): 1 / (1e6 MAC/s per score unit × efficiency), in ms.
 */
export const PRIOR_MS_PER_MAC = 1 / (1e3 * PRIOR_MAC_EFFICIENCY);

/**
 * Sizes closer than this ratio cannot separate the overhead from the cost per MAC under a few % of timing noise:
 * a line through them swings anywhere from flat to steep.
 */
const MIN_SIZE_SPREAD = 1.25;

/**
 * The fleet curve A + B·MACs (score-1 units) through the points: a non-negative least-squares line when the
 * measured sizes span enough MACs, otherwise the one size's level split by the prior slope. Without the prior
 * a single size leaves the slope undetermined, and the fit lands on either a flat line (every model predicted
 * equally fast) or a line through the origin (overhead ignored), depending on rounding.
 */
export function fitFleetCurve(points: ReadonlyArray<{ x: number; y: number }>): LineFit | undefined {
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.y > 0);
  if (pts.length === 0) return undefined;
  const lo = Math.min(...pts.map((p) => p.x)), hi = Math.max(...pts.map((p) => p.x));
  if (hi > lo * MIN_SIZE_SPREAD) return fitLineNonNegative(pts);
  // The level minimising relative error (weights 1/y², as fitLineNonNegative): Σ(1/y) / Σ(1/y²).
  const level = pts.reduce((s, p) => s + 1 / p.y, 0) / pts.reduce((s, p) => s + 1 / (p.y * p.y), 0);
  const x0 = (lo + hi) / 2;
  // Anchored on the measurement: the MACs get the prior's cost, the rest is overhead. A device faster than the
  // prior's throughput spends all of its time on MACs (slope through the origin), never a negative overhead.
  const b = x0 > 0 ? Math.min(PRIOR_MS_PER_MAC, level / x0) : PRIOR_MS_PER_MAC;
  return { a: level - b * x0, b };
}
