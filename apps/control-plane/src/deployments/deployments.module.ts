import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { ModelsModule } from '../models/models.module';
import { OtaModule } from '../ota/ota.module';
import { ReportsModule } from '../reports/reports.module';
import { DeploymentController } from './deployment.controller';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentsService } from './deployment.service';
import { DesiredRefresher } from './desired-refresher.service';

@Module({
  imports: [DevicesModule, ModelsModule, ReportsModule, OtaModule],
  controllers: [DeploymentController],
  providers: [DeploymentRepository, DeploymentsService, DesiredRefresher],
  exports: [DeploymentsService, DeploymentRepository],
})
export class DeploymentsModule {}
