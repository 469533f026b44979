import { featurizerProblem, inputSpecProblems, type DesiredStateMessage } from '@edgefleet/contracts';
import { outcomeFor, stagedFor, type PersistedState } from '../state/agent-state';
import { blockCount } from '../transfer/block-bitmap';
import type { ObjectRef } from '../transfer/partial-download';
import type { ObjectKind, Step } from './steps';

/** What is on disk for one object: stored (verified) or a partial with this many blocks. */
export type ObjectStatus = { stored: true } | { stored: false; haveBlocks: number };

export interface PlanInput {
  /** A desired state the agent accepted (signature, device, order and size were checked when it arrived). */
  desired?: DesiredStateMessage;
  /** Past its `expiresAt`: no new work starts on it (freeze protection); the control plane re-signs open ones. */
  expired: boolean;
  state: Pick<PersistedState, 'active' | 'outcomes' | 'staged'>;
  /** Keyed by sha256; absent = nothing on disk. */
  objects: Readonly<Record<string, ObjectStatus>>;
}

/**
 * Pure: persisted state + desired state → the steps that converge the device (balena's
 * composition-steps idea). Fetch and verify are planned per object, so a resumed transfer only asks for
 * what is missing and a verified object is never fetched again.
 */
export function plan(input: PlanInput): Step[] {
  const { desired, expired, state, objects } = input;
  if (!desired) return [{ kind: 'nothing', reason: 'no desired state' }];
  const { artifact } = desired;
  const done = outcomeFor(state as PersistedState, desired.deploymentId, artifact.sha256);
  if (done) return [{ kind: 'nothing', reason: `deployment ${desired.deploymentId} already ${done.outcome}` }];
  if (expired) return [{ kind: 'nothing', reason: `desired state expired at ${desired.expiresAt}; waiting for a freshly signed one` }];
  // A text model is only as good as the featurizer in front of it: one this agent cannot run exactly is refused
  // before a byte is fetched.
  const featurizer = artifact.featurizer && featurizerProblem(artifact.featurizer);
  if (featurizer) return [{ kind: 'reject', reason: `text model refused: ${featurizer}` }];
  const inputSpec = artifact.inputSpec && inputSpecProblems(artifact.inputSpec);
  if (inputSpec && inputSpec.length > 0) return [{ kind: 'reject', reason: `input spec refused: ${inputSpec.join('; ')}` }];
  // Stage mode: staged once (fetched, verified, benchmarked, gates passed), it waits for the switch — the same
  // deployment without `stage` — and is then activated on the measurements it was staged with.
  if (stagedFor(state, desired.deploymentId, artifact.sha256) && objects[artifact.sha256]?.stored) {
    return desired.stage ? [{ kind: 'nothing', reason: `deployment ${desired.deploymentId} staged; waiting for the switch` }] : [{ kind: 'decide' }];
  }

  const steps: Step[] = [];
  const acquire = (object: ObjectKind, ref: ObjectRef) => {
    const status = objects[ref.sha256];
    if (status?.stored) return;
    const totalBlocks = blockCount(ref.size, ref.blockSize);
    steps.push({ kind: 'fetch', object, ref, haveBlocks: status?.haveBlocks ?? 0, totalBlocks });
    steps.push({ kind: 'verify', object, ref });
  };
  acquire('model', { sha256: artifact.sha256, size: artifact.size, blockSize: artifact.blockSize });
  if (artifact.evalSet) acquire('eval-set', { sha256: artifact.evalSet.sha256, size: artifact.evalSet.size, blockSize: artifact.blockSize });
  steps.push({ kind: 'benchmark', modelSha256: artifact.sha256, evalSetSha256: artifact.evalSet?.sha256 });
  steps.push({ kind: desired.stage ? 'stage' : 'decide' });
  return steps;
}
