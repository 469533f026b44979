import type { Job, JobStatus } from '@edgefleet/db';

export type JobRecord = Job;
export type { JobStatus };

export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (s: JobStatus): boolean => TERMINAL_STATUSES.includes(s);

export interface EnqueueOptions {
  maxAttempts?: number;
  priority?: number;
  /** Not claimable before this time (default: now). */
  runAfter?: Date;
}

/** What a claim hands a worker: the job and the token that fences every later write of this attempt. */
export interface ClaimedJob {
  job: JobRecord;
  leaseToken: string;
}

/** What a heartbeat learns: whether the lease is still ours and whether someone asked to cancel. */
export type HeartbeatAnswer = { held: true; cancelRequested: boolean } | { held: false };

/** Outcome of cancel(): a queued job is cancelled at once, a running one is asked to stop. */
export type CancelAnswer = 'cancelled' | 'cancel-requested' | 'already-finished';

/**
 * A job handler's explicit result (instead of throwing into the void): the worker turns it into the row's next
 * state. `retry: false` fails the job for good even when attempts remain (bad input will not get better).
 */
export type JobOutcome =
  /** `committed`: the handler already called queue.complete inside the transaction that stored its effects. */
  | { kind: 'succeeded'; result?: unknown; committed?: boolean }
  | { kind: 'failed'; error: string; retry: boolean }
  | { kind: 'cancelled' };
