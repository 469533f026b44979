/** The worker's lease ran out and the job may now belong to someone else: its writes are refused. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(readonly jobId: string) {
    super(`lease on job ${jobId} is no longer held by this worker`);
  }
}

/**
 * A failure that will repeat on every attempt (bad input, a shape mismatch): a handler throws it (or an error with
 * `permanent: true`) and the worker fails the job at once instead of spending its remaining attempts.
 */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
  readonly permanent = true;
}

export const isPermanentJobError = (err: unknown): boolean =>
  err instanceof PermanentJobError || (typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true);
