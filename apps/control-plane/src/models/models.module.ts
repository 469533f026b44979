import { Module } from '@nestjs/common';
import { ArtifactsModule } from '@edgefleet/platform';
import { ModelsCoreModule } from '@edgefleet/catalog';
import { ModelController } from './model.controller';
import { ModelsService } from './model.service';

@Module({
  imports: [ArtifactsModule, ModelsCoreModule],
  controllers: [ModelController],
  providers: [ModelsService],
  exports: [ModelsService, ModelsCoreModule],
})
export class ModelsModule {}
