import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { ModelController } from './model.controller';
import { ModelInspector } from './model.inspector';
import { ModelRepository } from './model.repository';
import { ModelsService } from './model.service';

@Module({
  imports: [ArtifactsModule],
  controllers: [ModelController],
  providers: [ModelRepository, ModelInspector, ModelsService],
  exports: [ModelsService, ModelRepository],
})
export class ModelsModule {}
