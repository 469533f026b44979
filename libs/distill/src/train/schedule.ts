/** Linear warm-up to `base`, then cosine decay to `floor`·base at `total` steps. */
export function cosineWithWarmup(step: number, total: number, warmup: number, base: number, floor = 0.01): number {
  if (warmup > 0 && step < warmup) return (base * (step + 1)) / warmup;
  const t = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
}
