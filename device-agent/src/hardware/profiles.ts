import { readFile } from 'node:fs/promises';
import { HardwareProfile, validateAs } from '@edgefleet/contracts';
import { AgentConfigError } from '../lib/errors';
import type { HostHardware } from './detect';

/**
 * Device classes one machine can pretend to be. Latency budgets are what an application on such a device
 * typically affords per inference; `gateway` is calibrated as real hardware (slowdown 1), the others get a
 * slowdown derived from the host (see hardware/slowdown.ts) unless the profile states one.
 */
export const PROFILE_PRESETS: Readonly<Record<string, HardwareProfile>> = {
  gateway: { name: 'gateway', arch: 'x64', cores: 4, simd: ['avx2', 'fma'], ramMb: 4096, storageMb: 32_768, accelerator: 'none', latencyBudgetMs: 50, slowdown: 1 },
  rpi4: { name: 'rpi4', arch: 'arm64', cores: 4, clockMhz: 1500, simd: ['neon'], ramMb: 4096, storageMb: 16_384, accelerator: 'none', latencyBudgetMs: 100 },
  tight: { name: 'tight', arch: 'arm64', cores: 1, clockMhz: 1200, simd: ['neon'], ramMb: 512, storageMb: 1024, accelerator: 'none', latencyBudgetMs: 10 },
  'mcu-lite': { name: 'mcu-lite', arch: 'arm', cores: 1, clockMhz: 600, simd: [], ramMb: 64, storageMb: 128, accelerator: 'none', latencyBudgetMs: 20 },
};

export const HOST_PROFILE = 'host';

export function hostProfile(host: HostHardware): HardwareProfile {
  return { name: HOST_PROFILE, arch: host.arch, cores: host.cores, clockMhz: host.clockMhz, simd: host.simd, ramMb: host.ramMb, accelerator: 'none' };
}

function checked(raw: unknown, origin: string): HardwareProfile {
  const r = validateAs(HardwareProfile, raw);
  if (!r.ok) throw new AgentConfigError(r.errors.map((e) => `profile ${origin}: ${e}`));
  return r.value;
}

/**
 * `undefined` / `host` → the detected machine; a preset name; or a path to a JSON file holding a
 * HardwareProfile (validated with the same contract class the control plane uses).
 */
export async function resolveProfile(spec: string | HardwareProfile | undefined, host: HostHardware): Promise<{ profile: HardwareProfile; isHost: boolean }> {
  if (spec === undefined || spec === HOST_PROFILE) return { profile: hostProfile(host), isHost: true };
  if (typeof spec === 'object') return { profile: checked({ ...spec }, 'object'), isHost: false };
  const preset = PROFILE_PRESETS[spec];
  if (preset) return { profile: checked({ ...preset, simd: preset.simd ? [...preset.simd] : undefined }, spec), isHost: false };
  if (!spec.endsWith('.json')) {
    throw new AgentConfigError([`--profile "${spec}" is neither a preset (${[HOST_PROFILE, ...Object.keys(PROFILE_PRESETS)].join(', ')}) nor a .json file`]);
  }
  let text: string;
  try {
    text = await readFile(spec, 'utf8');
  } catch (err) {
    throw new AgentConfigError([`--profile ${spec}: cannot read (${(err as Error).message})`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AgentConfigError([`--profile ${spec}: not JSON (${(err as Error).message})`]);
  }
  return { profile: checked(raw, spec), isHost: false };
}
