import { createHash } from 'node:crypto';
import { canonicalJson } from './signing';
import type { HardwareProfile } from './profile';

/**
 * The fields that make two devices interchangeable for model selection. Storage, latency budget and the
 * simulation factor are left out on purpose: they do not change how fast or how accurately a model runs.
 */
export type ProfileClassFields = Pick<HardwareProfile, 'arch' | 'cores' | 'clockMhz' | 'simd' | 'ramMb' | 'accelerator' | 'name'>;

/**
 * Stable id of a device's hardware class: the first 16 hex digits of the SHA-256 of the class-defining fields
 * in canonical JSON. Shared by the control plane, the agent and model selection, so they always agree.
 * Normalised first so that cosmetic differences (SIMD order or case, an explicit `accelerator: 'none'`) do not
 * split a class.
 */
export function profileClassOf(profile: ProfileClassFields): string {
  const simd = profile.simd && profile.simd.length > 0
    ? [...new Set(profile.simd.map((s) => s.trim().toLowerCase()))].sort()
    : undefined;
  const fields = {
    arch: profile.arch,
    cores: profile.cores,
    clockMhz: profile.clockMhz,
    simd,
    ramMb: profile.ramMb,
    accelerator: profile.accelerator ?? 'none',
    name: profile.name,
  };
  return createHash('sha256').update(canonicalJson(fields)).digest('hex').slice(0, 16);
}
