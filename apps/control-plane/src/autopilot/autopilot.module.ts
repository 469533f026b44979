import { DynamicModule, Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DevicesModule } from '../devices/devices.module';
import { SelectionModule } from '../selection/selection.module';
import { AutopilotConfig } from './autopilot.config';
import { AutopilotListener } from './autopilot.listener';
import { AutopilotRepository } from './autopilot.repository';
import { AutopilotScheduler } from './autopilot.scheduler';
import { AutopilotService } from './autopilot.service';
import { PinController } from './pin.controller';
import { PinsService } from './pin.service';
import { TargetController } from './target.controller';
import { TargetsService } from './target.service';

/**
 * Fleet targets (REST) and the autopilot that keeps each of their device classes on a fitting model.
 * `distillations` is the host's DistillationsModule (AppModule builds it once and passes the same module here, so
 * there is one queue and one embedded worker).
 */
@Module({})
export class AutopilotModule {
  static forRoot(config: AutopilotConfig, distillations: DynamicModule): DynamicModule {
    return {
      module: AutopilotModule,
      imports: [DeploymentsModule, DevicesModule, SelectionModule, distillations],
      controllers: [TargetController, PinController],
      providers: [{ provide: AutopilotConfig, useValue: config }, AutopilotRepository, AutopilotService, AutopilotScheduler, AutopilotListener, TargetsService, PinsService],
      exports: [AutopilotService, AutopilotScheduler, TargetsService],
    };
  }
}
