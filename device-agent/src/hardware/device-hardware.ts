import type { HardwareProfile } from '@edgefleet/contracts';
import { detectHost } from './detect';
import { resolveProfile } from './profiles';
import { benchmarkThreads, computeSlowdown, type SlowdownResult } from './slowdown';

export interface DeviceHardware {
  /** What the agent announces in hello (the simulated device's profile, with its slowdown, when one is given). */
  profile: HardwareProfile;
  slowdown: SlowdownResult;
  /** True when the agent plays a device other than the host it runs on. */
  simulated: boolean;
  /** onnxruntime threads for benchmarks. */
  threads: number;
}

/** Reads the host and resolves the profile option (preset, file, object, or the host itself) into what the agent is. */
export async function describeDevice(profileOption: string | HardwareProfile | undefined): Promise<DeviceHardware> {
  const host = detectHost();
  const { profile: resolved, isHost } = await resolveProfile(profileOption, host);
  const slowdown = computeSlowdown(host, resolved, isHost);
  const simulated = !isHost;
  return {
    profile: simulated ? { ...resolved, slowdown: slowdown.factor } : resolved,
    slowdown,
    simulated,
    threads: benchmarkThreads(host, resolved),
  };
}
