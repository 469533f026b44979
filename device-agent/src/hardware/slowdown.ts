import type { HardwareProfile } from '@edgefleet/contracts';
import type { HostHardware } from './detect';

/**
 * fp32 lanes of the widest SIMD unit: the first-order factor between otherwise equal cores for the
 * matrix kernels that dominate inference. Unknown → what the architecture guarantees (SSE2 on x64,
 * NEON on arm64), scalar otherwise.
 */
export function simdLanes(arch: HardwareProfile['arch'], simd: readonly string[] | undefined): number {
  const s = new Set(simd ?? []);
  if (s.has('avx512')) return 16;
  if (s.has('avx2') || s.has('avx')) return 8;
  if (s.has('sse4.2') || s.has('neon') || s.has('sve')) return 4;
  if (arch === 'x64' || arch === 'arm64') return 4;
  return 1;
}

/** Threads the benchmark uses: never more than the simulated device has, never more than the host has. */
export function benchmarkThreads(host: HostHardware, profile: HardwareProfile): number {
  return Math.max(1, Math.min(host.cores, profile.cores));
}

export interface SlowdownResult {
  factor: number;
  /** 'explicit' = the profile's `slowdown` field; 'derived' = the compute ratio; 'host' = no simulation. */
  source: 'explicit' | 'derived' | 'host';
  hostScore: number;
  profileScore: number;
}

/**
 * How much slower the simulated device is than the part of the host the benchmark uses
 * (docs/simulation.md):
 *
 *   score(cores, MHz, lanes) = cores × MHz × lanes
 *   factor = max(1, score(threads, hostMHz, hostLanes) / score(profileCores, profileMHz, profileLanes))
 *
 * with threads = min(hostCores, profileCores). An explicit `slowdown` in the profile wins (calibrated on
 * real hardware). Unknown clocks fall back to the host's clock, so only the known differences count.
 * The factor never goes below 1: a profile faster than the host cannot be simulated by shrinking numbers.
 */
export function computeSlowdown(host: HostHardware, profile: HardwareProfile, isHostProfile: boolean): SlowdownResult {
  const hostMhz = host.clockMhz ?? 1000;
  const hostScore = benchmarkThreads(host, profile) * hostMhz * simdLanes(host.arch, host.simd);
  const profileScore = profile.cores * (profile.clockMhz ?? hostMhz) * simdLanes(profile.arch, profile.simd);
  if (isHostProfile) return { factor: 1, source: 'host', hostScore, profileScore };
  if (profile.slowdown !== undefined) return { factor: Math.max(1, profile.slowdown), source: 'explicit', hostScore, profileScore };
  const raw = hostScore / profileScore;
  return { factor: Math.max(1, Math.round(raw * 100) / 100), source: 'derived', hostScore, profileScore };
}
