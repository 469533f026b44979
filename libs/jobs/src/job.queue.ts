import { randomUUID } from 'node:crypto';
import { Prisma, PrismaClient } from '@edgefleet/db';
import { LeaseLostError } from './job.errors';
import type { CancelAnswer, ClaimedJob, EnqueueOptions, HeartbeatAnswer, JobRecord, JobStatus } from './job.types';

/** The client or an open transaction's client, so a job's completion can commit together with its effects. */
export type JobDb = PrismaClient | Prisma.TransactionClient;

/**
 * Timestamps are `timestamp(3)` columns holding UTC (as Prisma writes them); all lease arithmetic uses the
 * database clock in UTC, so workers on machines with skewed clocks still agree on who holds a lease.
 */
const NOW = Prisma.sql`(now() AT TIME ZONE 'UTC')`;
const leaseUntil = (ms: number) => Prisma.sql`(now() AT TIME ZONE 'UTC') + make_interval(secs => ${ms / 1000}::double precision)`;

/**
 * A job queue in the application's own database, so the embedded default (PGlite) and PostgreSQL with many
 * worker machines use one mechanism. The only place that knows the Job table.
 *
 * - claim: one UPDATE over a `FOR UPDATE SKIP LOCKED` sub-select: concurrent claimers never get the same row.
 * - lease: a claim sets leaseExpiresAt and a fresh leaseToken; the worker renews it with heartbeat(). Every
 *   write of the attempt (progress, complete, fail) is fenced by the token, so a worker that lost its lease
 *   (paused, partitioned) cannot overwrite the attempt that took over.
 * - expiry: a running job whose lease expired is claimable again (attempts + 1) until maxAttempts, then failed.
 * - cancel: a queued job is cancelled at once; a running one gets cancelRequested, seen by its heartbeat.
 */
export class JobQueue {
  constructor(private readonly prisma: PrismaClient) {}

  async enqueue(queue: string, payload: unknown, opts: EnqueueOptions = {}, db: JobDb = this.prisma): Promise<JobRecord> {
    return db.job.create({
      data: {
        queue,
        payload: payload as Prisma.InputJsonValue,
        maxAttempts: opts.maxAttempts ?? 3,
        priority: opts.priority ?? 0,
        ...(opts.runAfter ? { runAfter: opts.runAfter } : {}),
      },
    });
  }

  /** Takes the next claimable job of `queue` for `workerId`, or undefined when there is none. */
  async claim(queue: string, workerId: string, leaseMs: number): Promise<ClaimedJob | undefined> {
    await this.expireExhausted(queue);
    const leaseToken = randomUUID();
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE "Job" SET
        status = 'running', attempts = attempts + 1, "lockedBy" = ${workerId}, "leaseToken" = ${leaseToken},
        "leaseExpiresAt" = ${leaseUntil(leaseMs)}, "startedAt" = COALESCE("startedAt", ${NOW}), "updatedAt" = ${NOW}
      WHERE id = (
        SELECT id FROM "Job"
        WHERE queue = ${queue} AND attempts < "maxAttempts" AND NOT "cancelRequested" AND (
          (status = 'queued' AND "runAfter" <= ${NOW}) OR (status = 'running' AND "leaseExpiresAt" < ${NOW}))
        ORDER BY priority DESC, "createdAt", id
        LIMIT 1
        FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    const id = rows[0]?.id;
    if (!id) return undefined;
    const job = await this.prisma.job.findUniqueOrThrow({ where: { id } });
    return { job, leaseToken };
  }

  /**
   * Running jobs whose lease expired and that cannot be retried end here: failed when attempts are used up,
   * cancelled when a cancel was requested (their worker died before it could honour it).
   */
  async expireExhausted(queue: string): Promise<number> {
    const n = await this.prisma.$executeRaw`
      UPDATE "Job" SET
        status = (CASE WHEN "cancelRequested" THEN 'cancelled' ELSE 'failed' END)::"JobStatus",
        error = (CASE WHEN "cancelRequested" THEN error ELSE COALESCE(error || '; ', '') || 'lease expired on attempt ' || attempts || ' of ' || "maxAttempts" END),
        "leaseToken" = NULL, "leaseExpiresAt" = NULL, "finishedAt" = ${NOW}, "updatedAt" = ${NOW}
      WHERE queue = ${queue} AND status = 'running' AND "leaseExpiresAt" < ${NOW}
        AND (attempts >= "maxAttempts" OR "cancelRequested")`;
    return n;
  }

  /** Renews the lease and stores `progress` (when given); tells whether the lease is held and cancel requested. */
  async heartbeat(jobId: string, leaseToken: string, leaseMs: number, progress?: unknown): Promise<HeartbeatAnswer> {
    const progressSet = progress === undefined ? Prisma.empty : Prisma.sql`, progress = ${JSON.stringify(progress)}::jsonb`;
    const rows = await this.prisma.$queryRaw<{ cancelRequested: boolean }[]>`
      UPDATE "Job" SET "leaseExpiresAt" = ${leaseUntil(leaseMs)}, "updatedAt" = ${NOW} ${progressSet}
      WHERE id = ${jobId} AND "leaseToken" = ${leaseToken} AND status = 'running'
      RETURNING "cancelRequested"`;
    const row = rows[0];
    return row ? { held: true, cancelRequested: row.cancelRequested } : { held: false };
  }

  /** Marks the attempt succeeded. Pass the transaction that stored the job's effects so both commit or neither. */
  async complete(jobId: string, leaseToken: string, result: unknown, db: JobDb = this.prisma): Promise<void> {
    await this.finish(db, jobId, leaseToken, { status: 'succeeded', result: result === undefined ? Prisma.JsonNull : (result as Prisma.InputJsonValue) });
  }

  /**
   * Ends the attempt with an error: back to queued (after `retryDelayMs`) when `retry` and attempts remain,
   * failed otherwise. Returns the status the job ended in.
   */
  async fail(jobId: string, leaseToken: string, error: string, retry: boolean, retryDelayMs = 0): Promise<JobStatus> {
    const job = await this.prisma.job.findUnique({ where: { id: jobId } });
    if (!job || job.leaseToken !== leaseToken || job.status !== 'running') throw new LeaseLostError(jobId);
    if (retry && job.attempts < job.maxAttempts && !job.cancelRequested) {
      const n = await this.prisma.job.updateMany({
        where: { id: jobId, leaseToken, status: 'running' },
        data: { status: 'queued', error, leaseToken: null, leaseExpiresAt: null, lockedBy: null, runAfter: new Date(Date.now() + retryDelayMs) },
      });
      if (n.count !== 1) throw new LeaseLostError(jobId);
      return 'queued';
    }
    const status: JobStatus = job.cancelRequested ? 'cancelled' : 'failed';
    await this.finish(this.prisma, jobId, leaseToken, { status, error });
    return status;
  }

  /**
   * Hands a running job back untouched (its worker is shutting down): queued again, the attempt not counted, so
   * restarts during deployments never use up a job's attempts.
   */
  async release(jobId: string, leaseToken: string): Promise<void> {
    const n = await this.prisma.$executeRaw`
      UPDATE "Job" SET status = 'queued', attempts = GREATEST(attempts - 1, 0), "lockedBy" = NULL, "leaseToken" = NULL,
        "leaseExpiresAt" = NULL, "runAfter" = ${NOW}, "updatedAt" = ${NOW}
      WHERE id = ${jobId} AND "leaseToken" = ${leaseToken} AND status = 'running'`;
    if (n !== 1) throw new LeaseLostError(jobId);
  }

  /** The worker stopped the job because cancel was requested. */
  async markCancelled(jobId: string, leaseToken: string): Promise<void> {
    await this.finish(this.prisma, jobId, leaseToken, { status: 'cancelled' });
  }

  async cancel(jobId: string): Promise<CancelAnswer | undefined> {
    const queued = await this.prisma.job.updateMany({
      where: { id: jobId, status: 'queued' },
      data: { status: 'cancelled', cancelRequested: true, finishedAt: new Date() },
    });
    if (queued.count === 1) return 'cancelled';
    const running = await this.prisma.job.updateMany({ where: { id: jobId, status: 'running' }, data: { cancelRequested: true } });
    if (running.count === 1) return 'cancel-requested';
    const exists = await this.prisma.job.count({ where: { id: jobId } });
    return exists ? 'already-finished' : undefined;
  }

  get(jobId: string): Promise<JobRecord | null> {
    return this.prisma.job.findUnique({ where: { id: jobId } });
  }

  /** Status and error of several jobs in one query (unknown ids are absent from the map). */
  async outcomes(jobIds: readonly string[]): Promise<Map<string, { status: JobStatus; error: string | null }>> {
    if (jobIds.length === 0) return new Map();
    const rows = await this.prisma.job.findMany({ where: { id: { in: [...new Set(jobIds)] } }, select: { id: true, status: true, error: true } });
    return new Map(rows.map((r) => [r.id, { status: r.status, error: r.error }]));
  }

  /** Queued or running jobs of `queue` whose payload's `key` is `value` (the first `take` ids): what still needs a record. */
  async activeWithPayload(queue: string, key: string, value: string, take = 20, db: JobDb = this.prisma): Promise<string[]> {
    const rows = await db.job.findMany({
      where: { queue, status: { in: ['queued', 'running'] }, payload: { path: [key], equals: value } },
      select: { id: true }, orderBy: { createdAt: 'asc' }, take,
    });
    return rows.map((r) => r.id);
  }

  async list(queue: string, page: { limit: number; offset: number }, status?: JobStatus): Promise<{ items: JobRecord[]; total: number }> {
    const where: Prisma.JobWhereInput = { queue, ...(status ? { status } : {}) };
    const [items, total] = await Promise.all([
      this.prisma.job.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: page.limit, skip: page.offset }),
      this.prisma.job.count({ where }),
    ]);
    return { items, total };
  }

  /** Jobs of a queue (in a status), one count query. */
  count(queue: string, status?: JobStatus): Promise<number> {
    return this.prisma.job.count({ where: { queue, ...(status ? { status } : {}) } });
  }

  private async finish(db: JobDb, jobId: string, leaseToken: string, data: Prisma.JobUpdateManyMutationInput): Promise<void> {
    const n = await db.job.updateMany({
      where: { id: jobId, leaseToken, status: 'running' },
      data: { ...data, leaseToken: null, leaseExpiresAt: null, finishedAt: new Date() },
    });
    if (n.count !== 1) throw new LeaseLostError(jobId);
  }
}
