import { DynamicModule, Module } from '@nestjs/common';
import { ArtifactsModule } from '@edgefleet/platform';
import { DevicesModule } from '../devices/devices.module';
import { jobQueueProvider } from '@edgefleet/distillation-worker';
import { ModelsModule } from '../models/models.module';
import { TelemetryConfig } from './telemetry.config';
import { TelemetryController } from './telemetry.controller';
import { TelemetryIngest } from './telemetry-ingest.service';
import { TelemetryMaintenance } from './telemetry-maintenance.service';
import { TelemetryQuery } from './telemetry-query.service';
import { TelemetryRepository } from './telemetry.repository';

/** Telemetry: ingest of device windows (the MQTT handler calls TelemetryIngest), rollups, retention, queries, drift. */
@Module({})
export class TelemetryModule {
  static forRoot(config: TelemetryConfig = TelemetryConfig.defaults()): DynamicModule {
    return {
      module: TelemetryModule,
      global: true,
      imports: [DevicesModule, ModelsModule, ArtifactsModule],
      controllers: [TelemetryController],
      providers: [{ provide: TelemetryConfig, useValue: config }, TelemetryRepository, TelemetryIngest, TelemetryQuery, TelemetryMaintenance, jobQueueProvider],
      exports: [TelemetryIngest, TelemetryQuery, TelemetryConfig],
    };
  }
}
