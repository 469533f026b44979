import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { ArtifactCostService } from './artifact-cost.service';
import { RecommendationController } from './recommendation.controller';
import { SelectionRepository } from './selection.repository';
import { SelectionService } from './selection.service';

/** Profiles (GET /profiles) and per-class recommendations; SelectionService is what an automatic loop calls. */
@Module({
  imports: [ArtifactsModule, ProfilesModule],
  controllers: [RecommendationController],
  providers: [SelectionRepository, ArtifactCostService, SelectionService],
  exports: [SelectionService],
})
export class SelectionModule {}
