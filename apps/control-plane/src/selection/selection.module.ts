import { Module } from '@nestjs/common';
import { ArtifactsModule } from '@edgefleet/platform';
import { ModelsModule } from '../models/models.module';
import { ReportsModule } from '../reports/reports.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { ArtifactCostService } from './artifact-cost.service';
import { RecommendationController } from './recommendation.controller';
import { SelectionService } from './selection.service';

/** Profiles (GET /profiles) and per-class recommendations; SelectionService is what an automatic loop calls. */
@Module({
  imports: [ArtifactsModule, ModelsModule, ReportsModule, ProfilesModule],
  controllers: [RecommendationController],
  providers: [ArtifactCostService, SelectionService],
  exports: [SelectionService],
})
export class SelectionModule {}
