import type { DesiredStateMessage, ReportMessage } from '@edgefleet/contracts';
import type { IsolatedBenchmarkResult } from '../benchmark/isolated';

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

/**
 * Stage mode: a model fetched, verified and benchmarked, whose gates passed, that waits for the desired state
 * without `stage` to be activated — with the measurements its report will carry (not measured twice).
 */
export interface StagedModel {
  deploymentId: string;
  sha256: string;
  bench: IsolatedBenchmarkResult;
  latencyAttempts: number[];
  at: string;
}

export interface PersistedState {
  version: 1;
  desired?: DesiredStateMessage;
  active?: ActiveModel;
  /** The model active before `active`, kept on disk for a manual rollback. */
  previous?: ActiveModel;
  outcomes: OutcomeRecord[];
  staged?: StagedModel;
}

export const MAX_OUTCOMES = 100;

export const emptyState = (): PersistedState => ({ version: 1, outcomes: [] });

/** The staged model of this (deployment, artifact), if the agent staged it. */
export const stagedFor = (state: Pick<PersistedState, 'staged'>, deploymentId: string, sha256: string): StagedModel | undefined =>
  state.staged?.deploymentId === deploymentId && state.staged.sha256 === sha256 ? state.staged : undefined;

export const outcomeFor = (state: PersistedState, deploymentId: string, sha256: string): OutcomeRecord | undefined =>
  state.outcomes.find((o) => o.deploymentId === deploymentId && o.sha256 === sha256);

/** Returns a new state with `rec` recorded (replacing an older record of the same pair), bounded in size. */
export function withOutcome(state: PersistedState, rec: OutcomeRecord): PersistedState {
  const rest = state.outcomes.filter((o) => !(o.deploymentId === rec.deploymentId && o.sha256 === rec.sha256));
  const { staged, ...others } = state;
  // A finished (deployment, artifact) is no longer staged; another deployment's staged model stays.
  const keep = staged && !stagedFor({ staged }, rec.deploymentId, rec.sha256) ? { staged } : {};
  return { ...others, ...keep, outcomes: [...rest, rec].slice(-MAX_OUTCOMES) };
}

/** The objects that must stay on disk: the running model, the one before it (rollback), and what desired names. */
export function referencedObjects(state: PersistedState): Set<string> {
  const { active, previous, desired } = state;
  return new Set([active?.sha256, previous?.sha256, desired?.artifact.sha256, desired?.artifact.evalSet?.sha256].filter((s): s is string => !!s));
}
