import { Module } from '@nestjs/common';
import { ArtifactStore } from './artifact.store';

@Module({ providers: [ArtifactStore], exports: [ArtifactStore] })
export class ArtifactsModule {}
