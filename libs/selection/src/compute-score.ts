import type { ClassProfile } from './types';

/** Clock assumed when a profile does not state one: a typical mid-range core. */
export const DEFAULT_CLOCK_MHZ = 2000;

/**
 * fp32 lanes of the widest SIMD unit. Same table as the agent's simulation (docs/simulation.md), so the prior
 * agrees with how simulated classes are stretched; duplicated here because the agent package must stay free
 * of control-plane code and this one of agent code.
 */
export function simdLanes(arch: string, simd: readonly string[] | undefined): number {
  const s = new Set((simd ?? []).map((x) => x.toLowerCase()));
  if (s.has('avx512')) return 16;
  if (s.has('avx2') || s.has('avx')) return 8;
  if (s.has('sse4.2') || s.has('neon') || s.has('sve')) return 4;
  if (arch === 'x64' || arch === 'arm64') return 4;
  return 1;
}

/** cores × MHz × fp32 lanes: the prior for a class's throughput (only ratios between classes matter). */
export function computeScore(p: Pick<ClassProfile, 'arch' | 'cores' | 'clockMhz' | 'simd'>): number {
  return p.cores * (p.clockMhz ?? DEFAULT_CLOCK_MHZ) * simdLanes(p.arch, p.simd);
}
