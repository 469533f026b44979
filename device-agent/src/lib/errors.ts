/**
 * Typed errors of the agent with small predicates (balena-supervisor `lib/errors.ts` style).
 * `terminal` errors end a deployment with a `failed` report and are remembered, so the agent never retries
 * them forever; the others are transient (network) and the reconcile loop retries with backoff.
 */
export abstract class AgentError extends Error {
  abstract readonly terminal: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad CLI argument or option; `problems` lists every one of them. */
export class AgentConfigError extends AgentError {
  readonly terminal = true;
  constructor(readonly problems: string[]) {
    super(`invalid agent configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** No block arrived for too long; the partial download stays and the transfer resumes later. */
export class TransferStalledError extends AgentError {
  readonly terminal = false;
}

/** The control plane refused a block request (e.g. unknown sha256). */
export class TransferRejectedError extends AgentError {
  readonly terminal = true;
}

/** Downloaded bytes do not match the manifest's size or sha256. */
export class VerificationError extends AgentError {
  readonly terminal = true;
}

/** onnxruntime could not load or run the model, or the eval set does not fit it. */
export class ModelLoadError extends AgentError {
  readonly terminal = true;
}

export class BenchmarkError extends AgentError {
  readonly terminal = true;
}

/**
 * Not enough free space on the device for the object (the pre-flight check before a download), or the disk filled
 * up while writing it (ENOSPC). Terminal: the deployment fails with reason `disk full` and the partial is removed.
 */
export class DiskFullError extends AgentError {
  readonly terminal = true;
}

/** Whether `e` (or an error it wraps) is the operating system's "no space left on device". */
export function isNoSpace(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && typeof x === 'object' && depth < 8; x = (x as { cause?: unknown }).cause, depth++) {
    if ((x as { code?: unknown }).code === 'ENOSPC' || (x as { code?: unknown }).code === 'EDQUOT') return true;
  }
  return false;
}

/** The current run was cancelled because a newer desired state arrived or the agent is stopping. */
export class AbortedError extends AgentError {
  readonly terminal = false;
}

export const isAgentError = (e: unknown): e is AgentError => e instanceof AgentError;
export const isTerminal = (e: unknown): boolean => isAgentError(e) && e.terminal;
export const isAborted = (e: unknown): e is AbortedError => e instanceof AbortedError;

/** A message for a report: never more than the contract allows. */
export function describeError(e: unknown, max = 2000): string {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return msg.length > max ? `${msg.slice(0, max - 1)}…` : msg;
}
