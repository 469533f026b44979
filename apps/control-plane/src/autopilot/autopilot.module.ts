import { DynamicModule, Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { SelectionModule } from '../selection/selection.module';
import { AutopilotConfig } from './autopilot.config';
import { AutopilotEventsController } from './autopilot-events.controller';
import { AutopilotRepository } from './autopilot.repository';
import { AutopilotScheduler } from './autopilot.scheduler';
import { AutopilotService } from './autopilot.service';
import { TargetController } from './target.controller';
import { TargetsService } from './target.service';

/**
 * Fleet targets (REST) and the autopilot that keeps each of their device classes on a fitting model. Needs the
 * host's DistillationsModule (found at run time, see AutopilotService) besides the modules imported here.
 */
@Module({})
export class AutopilotModule {
  static forRoot(config: AutopilotConfig): DynamicModule {
    return {
      module: AutopilotModule,
      imports: [DeploymentsModule, SelectionModule],
      controllers: [TargetController, AutopilotEventsController],
      providers: [{ provide: AutopilotConfig, useValue: config }, AutopilotRepository, AutopilotService, AutopilotScheduler, TargetsService],
      exports: [AutopilotService, AutopilotScheduler, TargetsService],
    };
  }
}
