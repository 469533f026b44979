import { Module } from '@nestjs/common';
import { ArtifactsModule } from '@edgefleet/platform';
import { MqttBrokerModule } from '../mqtt/mqtt-broker.module';
import { BlockServer } from './block-server.service';
import { DesiredSeqRepository } from './desired-seq.repository';
// Stateless and PrismaClient-only: provided here too, as DeploymentsModule imports this module (no cycle).
import { DeploymentRepository } from '../deployments/deployment.repository';
import { OtaService } from './ota.service';
import { TrustedKeysController } from './trusted-keys.controller';

/** Signed desired state (with its per-device seq and the signing keys' rotation) and block serving. Imported by DeploymentsModule (publishDesired) and MqttModule. */
@Module({
  imports: [ArtifactsModule, MqttBrokerModule],
  controllers: [TrustedKeysController],
  providers: [OtaService, BlockServer, DesiredSeqRepository, DeploymentRepository],
  exports: [OtaService, BlockServer],
})
export class OtaModule {}
