import { Global, Injectable, Module } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The control plane's Prometheus registry and the counters other modules increment (docs/telemetry.md lists
 * every name). One registry per application instance, so several control planes in one process (tests) do not
 * share counters. Fleet-level labels only: model, hardware class, state, kind, route — never a device id.
 */
@Injectable()
export class FleetMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: 'edgefleet_http_requests_total', help: 'HTTP requests answered', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly httpDuration = new Histogram({
    name: 'edgefleet_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry],
  });
  readonly rolloutStep = new Histogram({
    name: 'edgefleet_rollout_step_seconds', help: 'One rollout driver step (read, decide, write, publish) by the rollout\'s state', labelNames: ['state'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry],
  });
  readonly mqttReceived = new Counter({ name: 'edgefleet_mqtt_messages_received_total', help: 'Device messages received, by topic kind', labelNames: ['kind'], registers: [this.registry] });
  readonly mqttRejected = new Counter({ name: 'edgefleet_mqtt_messages_rejected_total', help: 'Device messages refused (invalid, unknown device, handler error), by topic kind', labelNames: ['kind'], registers: [this.registry] });
  readonly otaBytes = new Counter({ name: 'edgefleet_ota_bytes_sent_total', help: 'Model and eval-set bytes published as OTA blocks', registers: [this.registry] });
  readonly otaBlocks = new Counter({ name: 'edgefleet_ota_blocks_sent_total', help: 'OTA blocks published', registers: [this.registry] });
  readonly inferences = new Counter({ name: 'edgefleet_fleet_inferences_total', help: 'Inferences devices served (from stored telemetry windows)', labelNames: ['model_id', 'profile_class'], registers: [this.registry] });
  readonly inferenceErrors = new Counter({ name: 'edgefleet_fleet_inference_errors_total', help: 'Inferences that failed on devices (from stored telemetry windows)', labelNames: ['model_id', 'profile_class'], registers: [this.registry] });
  readonly inferenceLatency = new Counter({ name: 'edgefleet_fleet_inference_latency_seconds_sum_total', help: 'Sum of on-device inference latencies (divide by edgefleet_fleet_inferences_total for the mean)', labelNames: ['model_id', 'profile_class'], registers: [this.registry] });

  /** Fastify's onResponse: `route` is the route's pattern (bounded cardinality), `unmatched` for a 404 without one. */
  http(method: string, route: string | undefined, status: number, seconds: number): void {
    const r = route ?? 'unmatched';
    this.httpRequests.inc({ method, route: r, status: String(status) });
    this.httpDuration.observe({ method, route: r }, seconds);
  }

  /** A gauge whose value is read from the database (or a service) at scrape time. */
  gauge(name: string, help: string, labelNames: string[], read: (g: Gauge) => Promise<void>): void {
    new Gauge({
      name, help, labelNames, registers: [this.registry],
      async collect(this: Gauge) {
        this.reset();
        await read(this);
      },
    });
  }
}

@Global()
@Module({ providers: [FleetMetrics], exports: [FleetMetrics] })
export class FleetMetricsModule {}
