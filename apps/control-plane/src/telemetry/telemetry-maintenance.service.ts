import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JobQueue, JobWorker, type JobOutcome } from '@edgefleet/jobs';
import { TelemetryConfig } from './telemetry.config';
import { BUCKET_MS, TelemetryRepository } from './telemetry.repository';

export const TELEMETRY_MAINTENANCE_QUEUE = 'telemetry-maintenance';
const DAY_MS = 86_400_000;

/**
 * Rollups and retention as a job of the job machinery: each run rebuilds the recent 1-minute and 1-hour rollups,
 * deletes what is past retention, and queues the next run TELEMETRY_MAINTENANCE_MS later unless another run is
 * already queued (several control planes then keep one chain between them; a lost chain is restarted at boot).
 */
@Injectable()
export class TelemetryMaintenance implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('TelemetryMaintenance');
  private worker?: JobWorker;

  constructor(private readonly queue: JobQueue, private readonly repo: TelemetryRepository, private readonly config: TelemetryConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.scheduleNext(0);
    this.worker = new JobWorker(this.queue, {
      queue: TELEMETRY_MAINTENANCE_QUEUE, pollMs: Math.min(this.config.maintenanceMs, 5000), log: (level, line) => this.log[level](line),
    }, async () => this.runOnce());
    this.worker.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.stop();
  }

  /** One maintenance pass (the job's body), then the next run queued. */
  async runOnce(now = new Date()): Promise<JobOutcome> {
    const t = now.getTime();
    const minute = Math.floor(t / BUCKET_MS['1m']) * BUCKET_MS['1m'];
    const hour = Math.floor(t / BUCKET_MS['1h']) * BUCKET_MS['1h'];
    const lookback = Math.max(15 * 60_000, 3 * this.config.maintenanceMs);
    const minutes = await this.repo.rebuildRollups('1m', new Date(minute - lookback), new Date(minute));
    const hours = await this.repo.rebuildRollups('1h', new Date(hour - 2 * BUCKET_MS['1h']), new Date(hour));
    const pruned = await this.repo.prune({
      raw: new Date(t - this.config.rawRetentionDays * DAY_MS),
      minute: new Date(t - this.config.minuteRetentionDays * DAY_MS),
      hour: new Date(t - this.config.hourRetentionDays * DAY_MS),
    });
    await this.scheduleNext(this.config.maintenanceMs);
    return { kind: 'succeeded', result: { minutes, hours, ...pruned } };
  }

  private async scheduleNext(delayMs: number): Promise<void> {
    const { total } = await this.queue.list(TELEMETRY_MAINTENANCE_QUEUE, { limit: 1, offset: 0 }, 'queued');
    if (total > 0) return;
    await this.queue.enqueue(TELEMETRY_MAINTENANCE_QUEUE, {}, { maxAttempts: 3, runAfter: new Date(Date.now() + delayMs) });
  }
}
