import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { JobQueue } from '@edgefleet/jobs';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DeploymentRepository } from '../deployments/deployment.repository';
import { DeviceRepository } from '../devices/device.repository';
import { DevicesModule } from '../devices/devices.module';
import { DISTILLATION_QUEUE, jobQueueProvider } from '@edgefleet/distillation-worker';
import { TelemetryIngest } from '../telemetry/telemetry-ingest.service';
import { TELEMETRY_MAINTENANCE_QUEUE } from '../telemetry/telemetry-maintenance.service';
import { TelemetryQuery, type DriftItem } from '../telemetry/telemetry-query.service';
import { FleetMetrics } from './fleet-metrics';
import { MetricsController } from './metrics.controller';

/** The gauges read at scrape time: fleet state from the database, this instance's ingest state, drift. */
@Injectable()
export class MetricsCollectors implements OnModuleInit {
  constructor(
    private readonly metrics: FleetMetrics,
    private readonly devices: DeviceRepository,
    private readonly deployments: DeploymentRepository,
    private readonly jobs: JobQueue,
    private readonly ingest: TelemetryIngest,
    private readonly telemetry: TelemetryQuery,
  ) {}

  onModuleInit(): void {
    const m = this.metrics;
    m.gauge('edgefleet_devices', 'Devices by connection status and hardware class', ['status', 'profile_class'], async (g) => {
      for (const r of await this.devices.countByStatusAndClass()) g.set({ status: r.status, profile_class: r.profileClass }, r.count);
    });
    m.gauge('edgefleet_deployment_devices', 'Deployment rows (device × deployment) by state', ['state'], async (g) => {
      for (const r of await this.deployments.countDeviceStates()) g.set({ state: r.state }, r.count);
    });
    m.gauge('edgefleet_ota_active_transfers', 'Devices downloading a model or eval set now', [], async (g) => {
      const rows = await this.deployments.countDeviceStates();
      g.set(rows.find((r) => r.state === 'downloading')?.count ?? 0);
    });
    m.gauge('edgefleet_job_queue_depth', 'Jobs waiting to be claimed, by queue', ['queue'], async (g) => {
      for (const queue of [DISTILLATION_QUEUE, TELEMETRY_MAINTENANCE_QUEUE]) g.set({ queue }, await this.jobs.count(queue, 'queued'));
    });
    m.gauge('edgefleet_telemetry_messages_received', 'Telemetry messages this control plane received since start', [], async (g) => g.set(this.ingest.counters.messages));
    m.gauge('edgefleet_telemetry_pending_windows', 'Telemetry windows received but not yet written', [], async (g) => g.set(this.ingest.pending));
    m.gauge('edgefleet_telemetry_ingest_lag_seconds', 'Largest time between a window\'s end and its commit, in the last ingest flush', [], async (g) => g.set(this.ingest.counters.lastLagSeconds));
    // signal: class (distribution against the eval set) or confidence (histogram against the first telemetry).
    const signal = (d: DriftItem) => ({ model_id: d.modelId, profile_class: d.profileClass, signal: d.metric === 'psi' ? 'class' : 'confidence' });
    m.gauge('edgefleet_model_drift_psi', 'PSI of the recent class distribution (eval set) or confidence histogram (first telemetry) against the model\'s baseline', ['model_id', 'profile_class', 'signal'], async (g) => {
      for (const d of await this.drift()) g.set(signal(d), d.value);
    });
    m.gauge('edgefleet_model_drifted', '1 when the PSI is above the drift threshold', ['model_id', 'profile_class', 'signal'], async (g) => {
      for (const d of await this.drift()) g.set(signal(d), d.drifted ? 1 : 0);
    });
  }

  private driftInFlight?: Promise<DriftItem[]>;

  /** The drift both drift gauges read: one evaluation per scrape (prom-client collects the gauges concurrently). */
  private drift(): Promise<DriftItem[]> {
    this.driftInFlight ??= this.telemetry.drift({}).finally(() => (this.driftInFlight = undefined));
    return this.driftInFlight;
  }
}

@Module({
  imports: [DevicesModule, DeploymentsModule],
  controllers: [MetricsController],
  providers: [MetricsCollectors, jobQueueProvider],
})
export class MetricsModule {}
