import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule, DatabaseModule, EventsModule, AuditModule, ArtifactsModule } from '@edgefleet/platform';
import { AuthModule } from './auth/auth.module';
import { AuditApiModule } from './audit/audit.module';
import { RemovalModule } from './removal/removal.module';
import { HealthModule } from './health/health.module';
import { EnrollmentModule } from './enrollment/enrollment.module';
import { DevicesModule } from './devices/devices.module';
import { ModelsModule } from './models/models.module';
import { DeploymentsModule } from './deployments/deployments.module';
import { OtaModule } from './ota/ota.module';
import { MqttModule } from './mqtt/mqtt.module';
import { DistillationsModule } from './distillations/distillations.module';
import { DistillationConfig } from '@edgefleet/distillation-worker';
import { SelectionModule } from './selection/selection.module';
import { AutopilotConfig } from './autopilot/autopilot.config';
import { AutopilotModule } from './autopilot/autopilot.module';
import { SegmentsModule } from './segments/segments.module';
import { RolloutConfig } from './rollouts/rollout.config';
import { RolloutsModule } from './rollouts/rollouts.module';
import { TelemetryConfig } from './telemetry/telemetry.config';
import { TelemetryModule } from './telemetry/telemetry.module';
import { FleetMetricsModule } from './metrics/fleet-metrics';
import { MetricsModule } from './metrics/metrics.module';

/** The control plane. Built around one AppConfig so tests can start several instances in one process. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, distillation: DistillationConfig, autopilot: AutopilotConfig = AutopilotConfig.defaults(),
    rollout: RolloutConfig = RolloutConfig.defaults(),
    telemetry: TelemetryConfig = TelemetryConfig.defaults(),
  ): DynamicModule {
    // One instance: the autopilot imports this same module to queue its distillations (Nest keys a dynamic
    // module by its metadata, so importing it twice does not build a second queue and worker).
    const distillations = DistillationsModule.forRoot(distillation);
    const rollouts = RolloutsModule.forRoot(rollout);
    const autopilots = AutopilotModule.forRoot(autopilot, distillations);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        FleetMetricsModule,
        EventsModule,
        AuditModule,
        ArtifactsModule,
        AuthModule,
        AuditApiModule,
        HealthModule,
        DevicesModule,
        EnrollmentModule,
        ModelsModule,
        DeploymentsModule,
        OtaModule,
        MqttModule,
        distillations,
        SelectionModule,
        SegmentsModule,
        rollouts,
        autopilots,
        RemovalModule.forRoot({ distillations, rollouts, autopilot: autopilots }),
        TelemetryModule.forRoot(telemetry),
        MetricsModule,
      ],
    };
  }
}
