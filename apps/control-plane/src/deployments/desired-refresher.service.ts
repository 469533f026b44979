import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@edgefleet/platform';
import { DeploymentsService } from './deployment.service';

/**
 * Keeps open desired states fresh: devices refuse expired ones (freeze protection), so every third of the validity
 * period each open one is signed again with a new seq. A device that was offline gets a fresh one on its hello.
 */
@Injectable()
export class DesiredRefresher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('DesiredRefresher');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(private readonly deployments: DeploymentsService, private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return; // the previous pass is still publishing
      this.running = this.deployments.refreshOpenDesiredStates()
        .catch((err: unknown) => this.log.warn(`desired state refresh failed: ${(err as Error).message}`))
        .finally(() => (this.running = undefined));
    }, Math.max(1000, Math.floor(this.config.desiredStateValidityMs / 3)));
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
