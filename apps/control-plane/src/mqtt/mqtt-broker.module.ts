import { Module } from '@nestjs/common';
import { CredentialsModule } from '../identity/credentials.module';
import { BrokerAccountsService } from './broker-accounts.service';
import { MqttBrokerService } from './mqtt-broker.service';
import { MqttPublisher } from './mqtt-publisher.service';

/**
 * The broker (embedded or external) and the control plane's outbound connection. Separate from MqttModule
 * (the inbound handlers) so OtaModule can publish without a module cycle: handlers → services → OtaModule →
 * this module.
 */
@Module({
  imports: [CredentialsModule],
  providers: [MqttBrokerService, MqttPublisher, BrokerAccountsService],
  exports: [MqttBrokerService, MqttPublisher, BrokerAccountsService],
})
export class MqttBrokerModule {}
