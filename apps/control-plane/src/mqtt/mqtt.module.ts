import { INestApplicationContext, Module } from '@nestjs/common';
import type { CustomStrategy } from '@nestjs/microservices';
import { createHash } from 'node:crypto';
import { AppConfig } from '@edgefleet/platform';
import { DeploymentsModule } from '../deployments/deployments.module';
import { CredentialsModule } from '../identity/credentials.module';
import { DevicesModule } from '../devices/devices.module';
import { OtaModule } from '../ota/ota.module';
import { BrokerHttpAuthController } from './broker-http-auth.controller';
import { BrokerHttpAuthService } from './broker-http-auth.service';
import { DeviceMessageRunner } from './device-message.runner';
import { DeviceMessagesController } from './device-messages.controller';
import { DeviceMqttServer } from './device-mqtt.server';
import { MqttBrokerModule } from './mqtt-broker.module';
import { MqttBrokerService } from './mqtt-broker.service';

export interface DeviceMessagingOptions {
  /**
   * Shared-subscription group. Default: none on the embedded Aedes (it has no $share); on an external broker
   * a group derived from the database, so control planes sharing one database split the device traffic while
   * unrelated control planes on the same broker (other environments, parallel tests) each see all of it.
   * `null` forces plain subscriptions.
   */
  sharedGroup?: string | null;
}

/**
 * Device → control plane messaging over MQTT. The handlers run in a Nest microservice (hybrid app) that
 * bootstrap connects with `MqttModule.microserviceOptions(app)`; see that method.
 */
@Module({
  imports: [MqttBrokerModule, OtaModule, DevicesModule, DeploymentsModule, CredentialsModule],
  controllers: [DeviceMessagesController, BrokerHttpAuthController],
  providers: [DeviceMessageRunner, BrokerHttpAuthService],
  exports: [MqttBrokerModule],
})
export class MqttModule {
  /**
   * Options for `app.connectMicroservice(...)`. Starts the embedded broker if needed (so its port is known and
   * a port in use fails here with MqttPortInUseError). Usage in bootstrap:
   *
   *   const app = await NestFactory.create(AppModule, new FastifyAdapter());
   *   app.connectMicroservice(await MqttModule.microserviceOptions(app));   // no inheritAppConfig
   *   await app.startAllMicroservices();
   *   await app.listen(config.port, config.host);
   *   app.get(MqttBrokerService).url                                        // what to print
   */
  static async microserviceOptions(app: INestApplicationContext, opts: DeviceMessagingOptions = {}): Promise<CustomStrategy> {
    const broker = app.get(MqttBrokerService);
    await broker.start();
    const sharedGroup = opts.sharedGroup === undefined ? defaultSharedGroup(broker, app.get(AppConfig)) : opts.sharedGroup ?? undefined;
    const messages = app.get(DeviceMessagesController);
    return { strategy: new DeviceMqttServer({ url: broker.url, sharedGroup, login: broker.serviceLogin(), direct: { telemetry: (ctx) => messages.telemetryDirect(ctx) } }) };
  }
}

function defaultSharedGroup(broker: MqttBrokerService, config: AppConfig): string | undefined {
  if (broker.embedded) return undefined;
  const database = config.databaseUrl ?? config.dataDir;
  return `edgefleet-cp-${createHash('sha256').update(database).digest('hex').slice(0, 12)}`;
}
