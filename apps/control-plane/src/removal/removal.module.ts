import { DynamicModule, Module } from '@nestjs/common';
import { DatasetsCoreModule, ModelsCoreModule } from '@edgefleet/catalog';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DevicesModule } from '../devices/devices.module';
import { DatasetRemovalController, ModelRemovalController } from './removal.controller';
import { RemovalService } from './removal.service';

/**
 * DELETE /models/:id and /datasets/:id. Above every module whose records may use a model or a data set; the
 * host's own distillation, rollout and autopilot modules are passed in (one instance of each, as AutopilotModule
 * gets the distillations).
 */
@Module({})
export class RemovalModule {
  static forRoot(uses: { distillations: DynamicModule; rollouts: DynamicModule; autopilot: DynamicModule }): DynamicModule {
    return {
      module: RemovalModule,
      imports: [ModelsCoreModule, DatasetsCoreModule, DevicesModule, DeploymentsModule, uses.distillations, uses.rollouts, uses.autopilot],
      controllers: [ModelRemovalController, DatasetRemovalController],
      providers: [RemovalService],
    };
  }
}
