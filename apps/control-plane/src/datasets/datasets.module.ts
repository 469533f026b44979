import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { DatasetController } from './dataset.controller';
import { DatasetRepository } from './dataset.repository';
import { DatasetsService } from './dataset.service';

/** Data sets as objects (files in the artifact store, a row in Dataset). Without the controller for workers. */
@Module({
  imports: [ArtifactsModule],
  providers: [DatasetRepository, DatasetsService],
  exports: [DatasetsService],
})
export class DatasetsCoreModule {}

@Module({ imports: [DatasetsCoreModule, ArtifactsModule], controllers: [DatasetController] })
export class DatasetsModule {}
