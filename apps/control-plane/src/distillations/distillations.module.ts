import { DynamicModule, Module } from '@nestjs/common';
import { DistillationConfig, DistillationWorkerModule } from '@edgefleet/distillation-worker';
import { DatasetsModule } from '../datasets/datasets.module';
import { DistillationController } from './distillation.controller';
import { DistillationsService } from './distillation.service';

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
