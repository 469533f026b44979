/** The worker's lease ran out and the job may now belong to someone else: its writes are refused. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(readonly jobId: string) {
    super(`lease on job ${jobId} is no longer held by this worker`);
  }
}
