import { DynamicModule, Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DevicesModule } from '../devices/devices.module';
import { ModelsModule } from '../models/models.module';
import { ReportsModule } from '../reports/reports.module';
import { SegmentsModule } from '../segments/segments.module';
import { SelectionModule } from '../selection/selection.module';
import { RolloutConfig } from './rollout.config';
import { RolloutController } from './rollout.controller';
import { RolloutDriver } from './rollout.driver';
import { RolloutRepository } from './rollout.repository';
import { RolloutsService } from './rollout.service';

/** Staged rollouts over segments (docs/rollouts.md): a layer above deployments — each wave is a deployment per artifact. */
@Module({})
export class RolloutsModule {
  static forRoot(config: RolloutConfig): DynamicModule {
    return {
      module: RolloutsModule,
      imports: [DeploymentsModule, DevicesModule, ModelsModule, ReportsModule, SegmentsModule, SelectionModule],
      controllers: [RolloutController],
      providers: [{ provide: RolloutConfig, useValue: config }, RolloutRepository, RolloutsService, RolloutDriver],
      exports: [RolloutsService, RolloutDriver],
    };
  }
}
