import type { DesiredStateMessage, ReportMessage } from '@edgefleet/contracts';

/** The model the device runs now. Its bytes live in the content store under `sha256`. */
export interface ActiveModel {
  sha256: string;
  deploymentId: string;
  name: string;
  version: string;
  activatedAt: string;
}

/** What the agent did with one (deployment, artifact): remembered so it is never redone or retried forever. */
export interface OutcomeRecord {
  deploymentId: string;
  sha256: string;
  outcome: ReportMessage['outcome'];
  reason?: string;
  at: string;
}

export interface PersistedState {
  version: 1;
  desired?: DesiredStateMessage;
  active?: ActiveModel;
  /** The model active before `active`, kept on disk for a manual rollback. */
  previous?: ActiveModel;
  outcomes: OutcomeRecord[];
}

export const MAX_OUTCOMES = 100;

export const emptyState = (): PersistedState => ({ version: 1, outcomes: [] });

export const outcomeFor = (state: PersistedState, deploymentId: string, sha256: string): OutcomeRecord | undefined =>
  state.outcomes.find((o) => o.deploymentId === deploymentId && o.sha256 === sha256);

/** Returns a new state with `rec` recorded (replacing an older record of the same pair), bounded in size. */
export function withOutcome(state: PersistedState, rec: OutcomeRecord): PersistedState {
  const rest = state.outcomes.filter((o) => !(o.deploymentId === rec.deploymentId && o.sha256 === rec.sha256));
  return { ...state, outcomes: [...rest, rec].slice(-MAX_OUTCOMES) };
}

/** The objects that must stay on disk: the running model, the one before it (rollback), and what desired names. */
export function referencedObjects(state: PersistedState): Set<string> {
  const { active, previous, desired } = state;
  return new Set([active?.sha256, previous?.sha256, desired?.artifact.sha256, desired?.artifact.evalSet?.sha256].filter((s): s is string => !!s));
}
