import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JobQueue, JobWorker } from '@edgefleet/jobs';
import { DistillationConfig } from './distillation.config';
import { DistillationRunner } from './distillation.runner';
import { DISTILLATION_QUEUE } from './distillation.types';

/**
 * One distillation worker in this process: started at bootstrap when `enabled` (the control plane's embedded
 * default, or the standalone distiller), stopped — its running job handed back to the queue — at shutdown.
 */
@Injectable()
export class DistillationWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('DistillationWorker');
  private worker?: JobWorker;

  constructor(private readonly queue: JobQueue, private readonly runner: DistillationRunner, private readonly config: DistillationConfig) {}

  get enabled(): boolean {
    return this.config.embeddedWorker;
  }

  get workerId(): string | undefined {
    return this.worker?.workerId;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    const worker: JobWorker = new JobWorker(this.queue, {
      queue: DISTILLATION_QUEUE, leaseMs: this.config.leaseMs, heartbeatMs: this.config.heartbeatMs, pollMs: this.config.pollMs,
      log: (level, line) => this.log[level](line),
    }, (ctx) => this.runner.handle({ ...ctx, workerId: worker.workerId }));
    this.worker = worker;
    worker.start();
    this.log.log(`distillation worker ${worker.workerId} started (lease ${this.config.leaseMs} ms)`);
  }

  /** A job was just queued by this process: claim it now instead of at the next poll. */
  wake(): void {
    this.worker?.wake();
  }

  /** Before the database closes (DatabaseModule closes it in onApplicationShutdown): the hand-back needs it. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.stop();
  }
}
