import type { ObjectRef } from '../transfer/partial-download';

export type ObjectKind = 'model' | 'eval-set';

/** One thing the executor does. The planner emits them; nothing here touches disk or network. */
export type Step =
  | { kind: 'nothing'; reason: string }
  /** A genuine desired state this agent cannot carry out (e.g. an unknown text featurizer): report it failed. */
  | { kind: 'reject'; reason: string }
  /** Request the blocks the partial lacks (`haveBlocks` are already on disk from an earlier run). */
  | { kind: 'fetch'; object: ObjectKind; ref: ObjectRef; haveBlocks: number; totalBlocks: number }
  /** Size + sha256 check of a complete partial, then move it into the content store. */
  | { kind: 'verify'; object: ObjectKind; ref: ObjectRef }
  | { kind: 'benchmark'; modelSha256: string; evalSetSha256?: string }
  /** Gates decide: activate the model, or keep the previous one and report rejected. */
  | { kind: 'decide' }
  /** Stage mode: gates decide, but a model that passed is kept staged (not activated) until the switch. */
  | { kind: 'stage' };

export type StepKind = Step['kind'];
