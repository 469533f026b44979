/**
 * Test factories: a fleet whose latencies follow a known ground truth plus noise, so a fit can be checked
 * against the numbers it should recover. Test-only.
 */
import { Prng } from '@edgefleet/toolkit';
import { computeScore } from '../compute-score';
import type { ClassProfile, Observation, Variant } from '../types';

export const classProfile = (profileClass: string, over: Partial<ClassProfile> = {}): ClassProfile =>
  ({ profileClass, name: profileClass, arch: 'arm64', cores: 4, clockMhz: 1500, simd: ['neon'], ramMb: 4096, ...over });

export const variant = (id: string, macs: number, over: Partial<Variant> = {}): Variant =>
  ({ id, name: id, version: '1', precision: 'fp32', family: 'fm', macs, params: macs, sizeBytes: macs * 4, inputShape: [784], numClasses: 10, ...over });

export interface GroundTruth {
  /** Fleet curve for score 1: ms = f_c × (A + B × MACs). */
  A: number;
  B: number;
  /** True class factor = deviation × prior (1 / score): how wrong the cores × MHz × lanes prior is. */
  deviation: Record<string, number>;
  memBaseMb: number;
  memPerMb: number;
}

export function trueLatency(t: GroundTruth, cls: ClassProfile, macs: number): number {
  return (t.deviation[cls.profileClass] ?? 1) / computeScore(cls) * (t.A + t.B * macs);
}

/** `reportsPerPair` reports of every (class, variant) with multiplicative noise of ±noise (uniform in log). */
export function syntheticReports(t: GroundTruth, classes: ClassProfile[], variants: Variant[], reportsPerPair: number, noise: number, seed = 1): Observation[] {
  const rng = new Prng(seed);
  const jitter = () => Math.exp((rng.next() * 2 - 1) * Math.log(1 + noise));
  const out: Observation[] = [];
  for (const c of classes) {
    for (const v of variants) {
      for (let i = 0; i < reportsPerPair; i++) {
        out.push({
          profileClass: c.profileClass, variantId: v.id, latencyP95Ms: trueLatency(t, c, v.macs) * jitter(),
          modelMemoryMb: (t.memBaseMb + t.memPerMb * v.sizeBytes / (1024 * 1024)) * jitter(), simulated: true,
        });
      }
    }
  }
  return out;
}
