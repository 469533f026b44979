import { Module } from '@nestjs/common';
import { ArtifactsModule } from '@edgefleet/platform';
import { DatasetsCoreModule } from '@edgefleet/catalog';
import { DatasetController } from './dataset.controller';

@Module({ imports: [DatasetsCoreModule, ArtifactsModule], controllers: [DatasetController] })
export class DatasetsModule {}
