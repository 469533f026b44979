import type { DeviceStateMessage, PROGRESS_STATES, REPORT_OUTCOMES } from '@edgefleet/contracts';

/*
 * The pure rules of a deployment's life: how a device's row moves on progress and reports, and how the
 * deployment's status rolls up from its rows. Kept free of I/O so they are tested exhaustively.
 */

export const DEVICE_STATES = ['pending', 'downloading', 'verifying', 'benchmarking', 'staged', 'active', 'rejected', 'failed', 'superseded'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];
export type DeploymentStatusName = 'in_progress' | 'succeeded' | 'partial' | 'failed' | 'cancelled';

export const UNFINISHED_STATES = ['pending', 'downloading', 'verifying', 'benchmarking', 'staged'] as const satisfies readonly DeviceState[];
type UnfinishedState = (typeof UNFINISHED_STATES)[number];
export const isFinished = (s: DeviceState): boolean => !(UNFINISHED_STATES as readonly DeviceState[]).includes(s);
/**
 * The unfinished states the stall watcher looks after: a `staged` row waits for its rollout's switch, not for the
 * device (the rollout's in-progress timeout does not count it either).
 */
export const WATCHED_STATES = ['pending', 'downloading', 'verifying', 'benchmarking'] as const satisfies readonly UnfinishedState[];

const order: Record<UnfinishedState, number> = { pending: 0, downloading: 1, verifying: 2, benchmarking: 3, staged: 4 };

/**
 * The row's state after a progress message. A finished row never changes (late or duplicated QoS 1 messages),
 * and an unfinished one never moves backwards (messages may be reordered); a reported failure always counts.
 */
export function stateAfterProgress(current: DeviceState, progress: (typeof PROGRESS_STATES)[number]): DeviceState {
  if (isFinished(current)) return current;
  if (progress === 'failed') return 'failed';
  return order[progress] > order[current as UnfinishedState] ? progress : current;
}

/**
 * The row's block counts after a progress message: always the model's (the object the row delivers), whose
 * block count the control plane knows. Counts about the eval set are ignored; past `downloading` the model
 * is complete whatever the message counted (a restarted agent that has it on disk counts 0 in its new run);
 * a device's count is capped at the model's blocks.
 */
export function blocksAfterProgress(
  row: { receivedBlocks: number; totalBlocks: number },
  next: DeviceState,
  msg: { sha256: string; receivedBlocks: number },
  modelSha256: string,
): { receivedBlocks: number; totalBlocks: number } {
  const total = row.totalBlocks;
  if (next === 'verifying' || next === 'benchmarking' || next === 'staged') return { receivedBlocks: total, totalBlocks: total };
  if (next !== 'downloading' || msg.sha256 !== modelSha256) return { receivedBlocks: row.receivedBlocks, totalBlocks: total };
  return { receivedBlocks: Math.min(msg.receivedBlocks, total), totalBlocks: total };
}

/** The row's state after the device's report. A superseded row stays superseded: a newer deployment owns it. */
export function stateAfterReport(current: DeviceState, outcome: (typeof REPORT_OUTCOMES)[number]): DeviceState {
  if (current === 'superseded') return current;
  switch (outcome) {
    case 'activated':
      return 'active';
    case 'rejected':
      return 'rejected';
    case 'failed':
      return 'failed';
  }
}

/**
 * A deployment is in progress while any targeted device is unfinished. Then, ignoring devices a newer
 * deployment took over: all activated → succeeded, some → partial, none → failed; if every device was taken
 * over → cancelled. A cancelled deployment stays cancelled.
 */
export function rollUpStatus(current: DeploymentStatusName, states: readonly DeviceState[]): DeploymentStatusName {
  if (current === 'cancelled') return current;
  if (states.some((s) => !isFinished(s))) return 'in_progress';
  const relevant = states.filter((s) => s !== 'superseded');
  if (relevant.length === 0) return states.length === 0 ? 'failed' : 'cancelled';
  const active = relevant.filter((s) => s === 'active').length;
  if (active === relevant.length) return 'succeeded';
  return active === 0 ? 'failed' : 'partial';
}

/** What a device's answer to a state query does to its unfinished row (see verdictFromDeviceState). */
export type StateVerdict =
  | { kind: 'finish'; state: 'active' | 'rejected' | 'failed'; error: string | null }
  | { kind: 'resend-desired' }
  | { kind: 'alive'; receivedBlocks?: number };

/**
 * Reconciles a stalled row from the device's answer: an outcome for the row's model finishes it (the report, still
 * in the device's outbox, is stored when it arrives); a device that does not hold the deployment gets its desired
 * state again; a device still working keeps the row alive (its partial transfer's count is taken). A finished row
 * is left alone (undefined).
 */
export function verdictFromDeviceState(row: { state: DeviceState; deploymentId: string; receivedBlocks: number; totalBlocks: number }, modelSha256: string, answer: DeviceStateMessage): StateVerdict | undefined {
  if (isFinished(row.state)) return undefined;
  const o = answer.outcome;
  if (o && o.sha256 === modelSha256) {
    if (o.outcome === 'activated') return { kind: 'finish', state: 'active', error: null };
    return { kind: 'finish', state: o.outcome, error: o.reason ?? o.outcome };
  }
  if (answer.desiredDeploymentId !== row.deploymentId) return { kind: 'resend-desired' };
  const p = answer.partial;
  if (p && p.sha256 === modelSha256) return { kind: 'alive', receivedBlocks: Math.max(row.receivedBlocks, Math.min(p.receivedBlocks, row.totalBlocks)) };
  return { kind: 'alive' };
}
