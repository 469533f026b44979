import { PROTOCOL_VERSION, type DeviceStateMessage } from '@edgefleet/contracts';
import { objectStatuses } from '../reconcile/object-status';
import { outcomeFor, type PersistedState } from './agent-state';
import type { StateStore } from './state-store';

/** The answer to a state query about `deploymentId`: active model, the partial transfer of what is desired, the outcome. */
export async function describeState(deploymentId: string, state: PersistedState, store: StateStore, busy: boolean, unacknowledged: number): Promise<DeviceStateMessage> {
  const { desired, active } = state;
  const msg: DeviceStateMessage = { v: PROTOCOL_VERSION, deploymentId, busy, unacknowledged };
  if (active) msg.activeSha256 = active.sha256;
  if (desired) msg.desiredDeploymentId = desired.deploymentId;
  if (desired?.deploymentId === deploymentId) {
    const sha256 = desired.artifact.sha256;
    const done = outcomeFor(state, deploymentId, sha256);
    if (done) msg.outcome = { sha256, outcome: done.outcome, ...(done.reason !== undefined && { reason: done.reason.slice(0, 2000) }) };
    const status = (await objectStatuses(store, desired))[sha256];
    if (status && !status.stored) {
      msg.partial = { sha256, receivedBlocks: status.haveBlocks, totalBlocks: Math.ceil(desired.artifact.size / desired.artifact.blockSize) };
    }
  } else {
    const done = state.outcomes.find((o) => o.deploymentId === deploymentId);
    if (done) msg.outcome = { sha256: done.sha256, outcome: done.outcome, ...(done.reason !== undefined && { reason: done.reason.slice(0, 2000) }) };
  }
  return msg;
}
