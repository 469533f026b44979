import { Module } from '@nestjs/common';
import { ArtifactsModule } from '@edgefleet/platform';
import { DatasetRepository } from './dataset.repository';
import { DatasetsService } from './dataset.service';

/** Data sets as objects (files in the artifact store, a row in Dataset). Without the controller for workers. */
@Module({
  imports: [ArtifactsModule],
  providers: [DatasetRepository, DatasetsService],
  exports: [DatasetsService],
})
export class DatasetsCoreModule {}
