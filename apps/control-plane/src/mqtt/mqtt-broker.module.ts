import { Module } from '@nestjs/common';
import { MqttBrokerService } from './mqtt-broker.service';
import { MqttPublisher } from './mqtt-publisher.service';

/**
 * The broker (embedded or external) and the control plane's outbound connection. Separate from MqttModule
 * (the inbound handlers) so OtaModule can publish without a module cycle: handlers → services → OtaModule →
 * this module.
 */
@Module({
  providers: [MqttBrokerService, MqttPublisher],
  exports: [MqttBrokerService, MqttPublisher],
})
export class MqttBrokerModule {}
