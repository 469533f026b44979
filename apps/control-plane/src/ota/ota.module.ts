import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { MqttBrokerModule } from '../mqtt/mqtt-broker.module';
import { BlockServer } from './block-server.service';
import { FetchableObjectsRepository } from './fetchable-objects.repository';
import { OtaService } from './ota.service';

/** Signed desired state and block serving. Imported by DeploymentsModule (publishDesired) and MqttModule. */
@Module({
  imports: [ArtifactsModule, MqttBrokerModule],
  providers: [OtaService, BlockServer, FetchableObjectsRepository],
  exports: [OtaService, BlockServer],
})
export class OtaModule {}
