import { Module } from '@nestjs/common';
import { ModelsModule } from '../models/models.module';
import { OtaModule } from '../ota/ota.module';
import { ReportsModule } from '../reports/reports.module';
import { DeviceController } from './device.controller';
import { DeviceRepository } from './device.repository';
import { DevicesService } from './device.service';

@Module({
  imports: [ModelsModule, ReportsModule, OtaModule],
  controllers: [DeviceController],
  providers: [DeviceRepository, DevicesService],
  exports: [DevicesService, DeviceRepository],
})
export class DevicesModule {}
