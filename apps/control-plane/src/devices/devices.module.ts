import { Module } from '@nestjs/common';
import { CredentialsModule } from '../identity/credentials.module';
import { MqttBrokerModule } from '../mqtt/mqtt-broker.module';
import { ModelsModule } from '../models/models.module';
import { OtaModule } from '../ota/ota.module';
import { ReportsModule } from '../reports/reports.module';
import { DeviceController } from './device.controller';
import { DeviceRepository } from './device.repository';
import { DeviceMessageRepository } from './device-message.repository';
import { DevicesService } from './device.service';

@Module({
  imports: [ModelsModule, ReportsModule, OtaModule, CredentialsModule, MqttBrokerModule],
  controllers: [DeviceController],
  providers: [DeviceRepository, DeviceMessageRepository, DevicesService],
  exports: [DevicesService, DeviceRepository, DeviceMessageRepository],
})
export class DevicesModule {}
