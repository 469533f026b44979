/** Result of fitting y ≈ a + b·x. */
export interface LineFit {
  a: number;
  b: number;
}

/**
 * Weighted least squares for y ≈ a + b·x with a, b ≥ 0 (latency and memory never shrink with size, and an
 * overhead is never negative). Weights 1/y² make it minimise relative error, so small models are fitted as
 * well as big ones. When the unconstrained optimum breaks a bound, the best one-parameter fit on that bound
 * is taken (the constrained optimum of a convex 2-D problem lies on an edge).
 */
export function fitLineNonNegative(points: ReadonlyArray<{ x: number; y: number; w?: number }>): LineFit | undefined {
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.y > 0);
  if (pts.length === 0) return undefined;
  let sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const p of pts) {
    const w = (p.w ?? 1) / (p.y * p.y);
    sw += w; sx += w * p.x; sy += w * p.y; sxx += w * p.x * p.x; sxy += w * p.x * p.y;
  }
  const det = sw * sxx - sx * sx;
  if (det > 1e-12 * sw * sxx) {
    const b = (sw * sxy - sx * sy) / det;
    const a = (sy - b * sx) / sw;
    if (a >= 0 && b >= 0) return { a, b };
  }
  // Edges: slope only (a = 0) or intercept only (b = 0); keep the one with the smaller weighted error.
  const bOnly = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
  const aOnly = Math.max(0, sy / sw);
  const err = (a: number, b: number) => pts.reduce((s, p) => s + ((p.w ?? 1) / (p.y * p.y)) * (p.y - a - b * p.x) ** 2, 0);
  return err(0, bOnly) <= err(aOnly, 0) ? { a: 0, b: bOnly } : { a: aOnly, b: 0 };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
