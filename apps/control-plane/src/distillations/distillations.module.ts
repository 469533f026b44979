import { DynamicModule, Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { ModelsModule } from '../models/models.module';
import { ModelInspector } from '../models/model.inspector';
import { DatasetsCoreModule, DatasetsModule } from '../datasets/datasets.module';
import { DistillationConfig } from './distillation.config';
import { DistillationController } from './distillation.controller';
import { jobQueueProvider } from './distillation.queue';
import { DistillationPublisher } from './distillation.publisher';
import { DistillationRunner } from './distillation.runner';
import { DistillationsService } from './distillation.service';
import { DistillationWorkerService } from './distillation-worker.service';
import { DistilledArtifactRepository } from './distilled-artifact.repository';
import { JobQueue } from '@edgefleet/jobs';

/**
 * The queue and a worker on it (started when config.embeddedWorker). Needs ConfigModule, DatabaseModule and
 * AuditModule from the host: the control plane, or the standalone distiller (apps/distiller).
 */
@Module({})
export class DistillationWorkerModule {
  static forRoot(config: DistillationConfig): DynamicModule {
    return {
      module: DistillationWorkerModule,
      imports: [ArtifactsModule, ModelsModule, DatasetsCoreModule],
      providers: [
        { provide: DistillationConfig, useValue: config },
        jobQueueProvider, ModelInspector, DistilledArtifactRepository, DistillationPublisher, DistillationRunner, DistillationWorkerService,
      ],
      exports: [DistillationConfig, JobQueue, DistillationWorkerService, DatasetsCoreModule, ModelsModule],
    };
  }
}

/** Distillation as a service: the data set and distillation APIs, with the embedded worker by default. */
@Module({})
export class DistillationsModule {
  static forRoot(config: DistillationConfig): DynamicModule {
    return {
      module: DistillationsModule,
      imports: [DatasetsModule, DistillationWorkerModule.forRoot(config)],
      controllers: [DistillationController],
      providers: [DistillationsService],
      exports: [DistillationsService],
    };
  }
}
