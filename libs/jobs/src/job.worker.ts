import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPermanentJobError, LeaseLostError } from './job.errors';
import type { JobQueue } from './job.queue';
import type { JobOutcome, JobRecord } from './job.types';

export interface JobContext {
  job: JobRecord;
  /** Fences this attempt's writes; pass it to queue.complete(…, tx) to commit the result with the job's effects. */
  leaseToken: string;
  /** Fires when a cancel is requested, the lease is lost or the worker stops: the handler should end soon. */
  signal: AbortSignal;
  /** Latest progress; written with the next heartbeat (so at most one write per heartbeat interval). */
  progress(p: unknown): void;
  /** Writes the latest progress (and renews the lease) now, e.g. before the handler commits its result. */
  flush(): Promise<void>;
}

export type JobHandler = (ctx: JobContext) => Promise<JobOutcome>;

export interface JobWorkerOptions {
  queue: string;
  /** Shown in lockedBy; default `<host>:<pid>:<random>`. */
  workerId?: string;
  /** How long a claim stays valid without a heartbeat (default 30 s). */
  leaseMs?: number;
  /** Heartbeat and progress-write interval (default 1 s); must be well below leaseMs. */
  heartbeatMs?: number;
  /** Least time between two progress writes (default 250 ms); the latest progress is always written at the end. */
  progressMs?: number;
  /** Idle poll interval when the queue was empty (default 1 s); wake() skips the wait. */
  pollMs?: number;
  /** Delay before a failed attempt is retried (default 1 s). */
  retryDelayMs?: number;
  log?: (level: 'log' | 'warn' | 'error', line: string) => void;
}

/** Why an attempt's signal fired; the worker decides the job's next state from it. */
type StopReason = 'cancel' | 'lease-lost' | 'shutdown';

/**
 * Runs one job at a time from one queue (run more workers, in this process or elsewhere, to scale out).
 * Claims, keeps the lease alive while the handler runs, stores progress, honours cancellation, and turns the
 * handler's outcome — or its exception — into the job's next state. stop() aborts the running job; its row
 * goes back to queued (not counted as a failure) so another worker picks it up.
 */
export class JobWorker {
  readonly workerId: string;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private readonly retryDelayMs: number;
  private readonly progressMs: number;
  private readonly log: NonNullable<JobWorkerOptions['log']>;
  private running = false;
  private loop?: Promise<void>;
  private idle = new AbortController();
  private current?: { controller: AbortController; reason?: StopReason };

  constructor(private readonly queue: JobQueue, private readonly opts: JobWorkerOptions, private readonly handler: JobHandler) {
    this.workerId = opts.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.heartbeatMs = opts.heartbeatMs ?? 1_000;
    this.pollMs = opts.pollMs ?? 1_000;
    this.retryDelayMs = opts.retryDelayMs ?? 1_000;
    this.progressMs = opts.progressMs ?? 250;
    this.log = opts.log ?? (() => {});
    if (this.heartbeatMs * 2 > this.leaseMs) throw new Error(`heartbeatMs (${this.heartbeatMs}) must be at most half of leaseMs (${this.leaseMs})`);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Ends the idle wait now (a job was just enqueued in this process). */
  wake(): void {
    this.idle.abort();
  }

  /** Stops claiming, aborts the running job (it is handed back to the queue) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    if (this.current) {
      this.current.reason ??= 'shutdown';
      this.current.controller.abort();
    }
    await this.loop;
  }

  /** Claims and runs one job; false when the queue had none. Public for tests that step a worker by hand. */
  async runOnce(): Promise<boolean> {
    const claimed = await this.queue.claim(this.opts.queue, this.workerId, this.leaseMs);
    if (!claimed) return false;
    await this.execute(claimed.job, claimed.leaseToken);
    return true;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = await this.runOnce();
      } catch (err) {
        // A database hiccup must not kill the worker: log it and try again after the idle wait.
        this.log('error', `worker ${this.workerId}: ${describe(err)}`);
      }
      if (!worked && this.running) {
        this.idle = new AbortController();
        await sleep(this.pollMs, undefined, { signal: this.idle.signal }).catch(() => undefined); // aborted = woken
      }
    }
  }

  private async execute(job: JobRecord, leaseToken: string): Promise<void> {
    const controller = new AbortController();
    const current: { controller: AbortController; reason?: StopReason } = { controller };
    this.current = current;
    let latest: unknown;
    let dirty = false;
    const beat = async (): Promise<void> => {
      const progress = dirty ? latest : undefined;
      dirty = false;
      const answer = await this.queue.heartbeat(job.id, leaseToken, this.leaseMs, progress);
      if (!answer.held) current.reason ??= 'lease-lost';
      else if (answer.cancelRequested) current.reason ??= 'cancel';
      if (current.reason && !controller.signal.aborted) controller.abort();
    };
    let beating = Promise.resolve();
    // One heartbeat at a time; a failed one is logged and the next tries again (the lease has slack).
    const enqueueBeat = (): Promise<void> =>
      (beating = beating.then(beat).catch((err: unknown) => this.log('warn', `heartbeat of job ${job.id} failed: ${describe(err)}`)));
    const timer = setInterval(() => void enqueueBeat(), this.heartbeatMs);
    let lastProgressWrite = 0;
    const progress = (p: unknown): void => {
      latest = p;
      dirty = true;
      // Fast epochs would otherwise be seen only once per heartbeat; the promise chain serialises the writes.
      if (Date.now() - lastProgressWrite >= this.progressMs) {
        lastProgressWrite = Date.now();
        void enqueueBeat();
      }
    };
    this.log('log', `job ${job.id} (${job.queue}) claimed by ${this.workerId}, attempt ${job.attempts}/${job.maxAttempts}`);
    let outcome: JobOutcome;
    try {
      outcome = await this.handler({ job, leaseToken, signal: controller.signal, progress, flush: enqueueBeat });
    } catch (err) {
      outcome = current.reason ? { kind: 'cancelled' } : { kind: 'failed', error: describe(err), retry: !isPermanentJobError(err) };
    } finally {
      clearInterval(timer);
      await beating;
      this.current = undefined;
    }
    try {
      await this.settle(job, leaseToken, outcome, current.reason, dirty ? latest : undefined);
    } catch (err) {
      if (err instanceof LeaseLostError) this.log('warn', `job ${job.id}: ${err.message}; its result is dropped`);
      else throw err;
    }
  }

  private async settle(job: JobRecord, leaseToken: string, outcome: JobOutcome, reason: StopReason | undefined, progress: unknown): Promise<void> {
    if (progress !== undefined) await this.queue.heartbeat(job.id, leaseToken, this.leaseMs, progress);
    if (reason === 'lease-lost') throw new LeaseLostError(job.id);
    if (reason === 'shutdown' && outcome.kind !== 'succeeded') {
      // Not the job's fault: hand it back without counting the attempt; another worker (or this one after a
      // restart) picks it up.
      await this.queue.release(job.id, leaseToken);
      this.log('log', `job ${job.id} handed back to the queue (worker stopping)`);
      return;
    }
    switch (outcome.kind) {
      case 'succeeded':
        if (!outcome.committed) await this.queue.complete(job.id, leaseToken, outcome.result);
        this.log('log', `job ${job.id} succeeded`);
        return;
      case 'cancelled':
        await this.queue.markCancelled(job.id, leaseToken);
        this.log('log', `job ${job.id} cancelled`);
        return;
      case 'failed': {
        const status = await this.queue.fail(job.id, leaseToken, outcome.error, outcome.retry, this.retryDelayMs);
        this.log('warn', `job ${job.id} attempt ${job.attempts} failed (${outcome.error}); now ${status}`);
        return;
      }
    }
  }
}

const describe = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));
