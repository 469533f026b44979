import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { HelloMessage, ProgressMessage, ReportMessage } from '@edgefleet/contracts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactStore, UnknownDeviceError, AppConfig, AuditModule, ConfigModule, DatabaseModule } from '@edgefleet/platform';
import { DeploymentsModule } from '../../deployments/deployments.module';
import { DeploymentsService } from '../../deployments/deployment.service';
import { DevicesModule } from '../../devices/devices.module';
import { DevicesService } from '../../devices/device.service';
import { OtaService } from '../../ota/ota.service';
import { MqttBrokerService } from '../mqtt-broker.service';
import { MqttModule } from '../mqtt.module';

/**
 * FAKES: the MQTT integration tests run MqttModule + OtaModule for real (broker, transport, handlers, block
 * server, signing with seqs in a PGlite database, artifact store on disk) but replace DevicesService and DeploymentsService with recorders,
 * because what is under test here is the MQTT edge, not the device/deployment bookkeeping (the end-to-end
 * tests in test/ run the whole app against PostgreSQL). A device id in `unknownDevices` makes the fakes throw
 * the real domain error, like the real services do for a device they do not know.
 */
@Injectable()
export class RecordingDevicesService {
  readonly hellos: HelloMessage[] = [];
  readonly statuses: Array<{ deviceId: string; state: string }> = [];
  readonly unknownDevices = new Set<string>();

  async registerFromHello(hello: HelloMessage): Promise<void> {
    this.hellos.push(hello);
  }

  async markStatus(deviceId: string, state: 'online' | 'offline'): Promise<void> {
    if (this.unknownDevices.has(deviceId)) throw new UnknownDeviceError(deviceId);
    this.statuses.push({ deviceId, state });
  }
}

@Injectable()
export class RecordingDeploymentsService {
  readonly republished: string[] = [];
  readonly progress: Array<{ deviceId: string; msg: ProgressMessage }> = [];
  readonly reports: Array<{ deviceId: string; msg: ReportMessage }> = [];
  readonly unknownDevices = new Set<string>();

  async republishDesired(deviceId: string): Promise<void> {
    this.republished.push(deviceId);
  }

  async recordProgress(deviceId: string, msg: ProgressMessage): Promise<void> {
    if (this.unknownDevices.has(deviceId)) throw new UnknownDeviceError(deviceId);
    this.progress.push({ deviceId, msg });
  }

  async recordReport(deviceId: string, msg: ReportMessage): Promise<void> {
    if (this.unknownDevices.has(deviceId)) throw new UnknownDeviceError(deviceId);
    this.reports.push({ deviceId, msg });
  }
}

@Module({ providers: [{ provide: DevicesService, useClass: RecordingDevicesService }], exports: [DevicesService] })
class RecordingDevicesModule {}

@Module({ providers: [{ provide: DeploymentsService, useClass: RecordingDeploymentsService }], exports: [DeploymentsService] })
class RecordingDeploymentsModule {}

export interface MqttTestApp {
  app: INestApplication;
  config: AppConfig;
  /** Where devices connect. */
  url: string;
  broker: MqttBrokerService;
  ota: OtaService;
  store: ArtifactStore;
  devices: RecordingDevicesService;
  deployments: RecordingDeploymentsService;
  close(): Promise<void>;
}

/** Starts the MQTT side of the control plane the way bootstrap does (hybrid app + connectMicroservice). */
export async function startMqttTestApp(opts: { mqttUrl?: string; env?: Record<string, string> } = {}): Promise<MqttTestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-mqtt-'));
  const config = AppConfig.fromEnv({
    PORT: '0',
    MQTT_PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    // The MQTT edge (routing, validation, block serving) is tested in the open lab mode with anonymous probes;
    // the closed broker and the enrollment checks are tested by broker-security.int.spec.ts on the whole app.
    MQTT_ALLOW_ANONYMOUS: 'true',
    ...(opts.mqttUrl ? { MQTT_URL: opts.mqttUrl } : {}),
    ...opts.env,
  });
  // The database (PGlite in dataDir) holds the desired states' per-device seq; signing-key rotations are audited.
  const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(config), DatabaseModule, AuditModule, MqttModule] })
    .overrideModule(DevicesModule).useModule(RecordingDevicesModule)
    .overrideModule(DeploymentsModule).useModule(RecordingDeploymentsModule)
    .compile();
  const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: ['error'] });
  // A unique shared-subscription group: other test processes on the same Mosquitto must not take our messages.
  app.connectMicroservice(await MqttModule.microserviceOptions(app, { sharedGroup: opts.mqttUrl ? `test-${process.pid}-${Date.now()}` : null }));
  await app.init();
  await app.startAllMicroservices();
  const broker = app.get(MqttBrokerService);
  return {
    app,
    config,
    url: broker.url,
    broker,
    ota: app.get(OtaService),
    store: app.get(ArtifactStore),
    devices: app.get(DevicesService) as unknown as RecordingDevicesService,
    deployments: app.get(DeploymentsService) as unknown as RecordingDeploymentsService,
    close: async () => {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
