import { DynamicModule, Module } from '@nestjs/common';
import { ArtifactsModule } from '@edgefleet/platform';
import { DatasetsCoreModule, ModelsCoreModule } from '@edgefleet/catalog';
import { JobQueue } from '@edgefleet/jobs';
import { DistillationConfig } from './distillation.config';
import { jobQueueProvider } from './distillation.queue';
import { DistillationPublisher } from './distillation.publisher';
import { DistillationRunner } from './distillation.runner';
import { DistillationWorkerService } from './distillation-worker.service';

/**
 * The queue and a worker on it (started when config.embeddedWorker). Needs ConfigModule, DatabaseModule,
 * AuditModule and EventsModule from the host: the control plane, or the standalone distiller (apps/distiller).
 */
@Module({})
export class DistillationWorkerModule {
  static forRoot(config: DistillationConfig): DynamicModule {
    return {
      module: DistillationWorkerModule,
      imports: [ArtifactsModule, ModelsCoreModule, DatasetsCoreModule],
      providers: [
        { provide: DistillationConfig, useValue: config },
        jobQueueProvider, DistillationPublisher, DistillationRunner, DistillationWorkerService,
      ],
      exports: [DistillationConfig, JobQueue, DistillationWorkerService, DatasetsCoreModule, ModelsCoreModule],
    };
  }
}
