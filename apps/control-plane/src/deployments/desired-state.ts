import type { Gates, TensorInfo } from '@edgefleet/contracts';
import type { DesiredStateInput } from '../ota/ota.service';

export type DesiredState = DesiredStateInput;

export interface ManifestSource {
  id: string;
  name: string;
  version: string;
  precision: string;
  sha256: string;
  sizeBytes: number;
  inputs: unknown;
  evalSetSha256: string | null;
  evalSetSize: number | null;
  evalSamples: number | null;
  featurizer?: unknown;
  inputSpec?: unknown;
}

/** What a device must fetch and the gates it must apply, built from the artifact row (OtaService signs it). */
export function buildDesiredState(
  deployment: { id: string; gates: unknown; stage?: boolean },
  artifact: ManifestSource,
  blockSize: number,
): DesiredState {
  const evalSet = artifact.evalSetSha256 && artifact.evalSetSize && artifact.evalSamples
    ? { sha256: artifact.evalSetSha256, size: artifact.evalSetSize, samples: artifact.evalSamples }
    : undefined;
  return {
    deploymentId: deployment.id,
    artifact: {
      id: artifact.id,
      name: artifact.name,
      version: artifact.version,
      precision: artifact.precision as DesiredState['artifact']['precision'],
      sha256: artifact.sha256,
      size: artifact.sizeBytes,
      blockSize,
      ...(evalSet ? { evalSet } : {}),
      inputs: artifact.inputs as TensorInfo[],
      ...(artifact.featurizer ? { featurizer: artifact.featurizer as Record<string, unknown> } : {}),
      ...(artifact.inputSpec ? { inputSpec: artifact.inputSpec as Record<string, unknown> } : {}),
    },
    gates: { ...(deployment.gates as Gates) },
    // Rollout stage mode, until the wave switches (every publication of the deployment says the same: hello, refresh).
    ...(deployment.stage ? { stage: true } : {}),
  };
}

/** Blocks a device fetches for the model (the eval set is counted separately by the agent). */
export const blockCount = (size: number, blockSize: number): number => Math.ceil(size / blockSize);
