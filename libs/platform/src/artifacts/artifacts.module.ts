import { Module } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../db/unit-of-work';
import { ArtifactBlobRepository } from './artifact-blob.repository';
import { ArtifactStore, LocalArtifactStore } from './artifact.store';
import { DatabaseArtifactStore } from './database-artifact.store';

/** The ArtifactStore that ARTIFACT_STORE selects (README, configuration). Needs the global DatabaseModule. */
@Module({
  providers: [
    ArtifactBlobRepository,
    {
      provide: ArtifactStore,
      inject: [AppConfig, ArtifactBlobRepository, UnitOfWork],
      useFactory: (config: AppConfig, blobs: ArtifactBlobRepository, uow: UnitOfWork): ArtifactStore =>
        config.artifactStore === 'database'
          ? new DatabaseArtifactStore(blobs, uow, new LocalArtifactStore(join(config.dataDir, 'artifact-cache')))
          : new LocalArtifactStore(join(config.dataDir, 'artifacts')),
    },
  ],
  exports: [ArtifactStore],
})
export class ArtifactsModule {}
