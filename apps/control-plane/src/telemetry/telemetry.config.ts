import { ConfigError, Env } from '@edgefleet/platform';
import { EnvReader } from '@edgefleet/platform';

/**
 * Telemetry settings (docs/telemetry.md), read once with the rest of the configuration.
 *
 * | env | default | meaning |
 * |---|---|---|
 * | TELEMETRY_RAW_RETENTION_DAYS | 7 | raw windows are deleted after this |
 * | TELEMETRY_1M_RETENTION_DAYS | 30 | 1-minute rollups are deleted after this |
 * | TELEMETRY_1H_RETENTION_DAYS | 400 | 1-hour rollups are deleted after this |
 * | TELEMETRY_MAINTENANCE_MS | 60000 | rollups and retention run as a job this often |
 * | TELEMETRY_FLUSH_MS | 100 | inbound windows wait at most this long to be written in one multi-row insert |
 * | TELEMETRY_FLUSH_ROWS | 2000 | … or until this many are waiting |
 * | TELEMETRY_DRIFT_PSI_MILLI | 200 | PSI above this / 1000 flags a drift (0.2: the usual "significant shift") |
 * | TELEMETRY_DRIFT_WINDOW_S | 300 | drift compares the windows that ended this long before the latest one |
 * | TELEMETRY_BASELINE_S | 600 | a model's first this-many seconds of telemetry on a class are its confidence baseline |
 */
export class TelemetryConfig {
  constructor(
    readonly rawRetentionDays: number,
    readonly minuteRetentionDays: number,
    readonly hourRetentionDays: number,
    readonly maintenanceMs: number,
    readonly flushMs: number,
    readonly flushRows: number,
    readonly driftPsiThreshold: number,
    readonly driftWindowMs: number,
    readonly baselineMs: number,
  ) {}

  static defaults(): TelemetryConfig {
    return TelemetryConfig.fromEnv({});
  }

  static fromEnv(env: Env): TelemetryConfig {
    const problems: string[] = [];
    const r = new EnvReader(env, problems);
    const cfg = new TelemetryConfig(
      r.int('TELEMETRY_RAW_RETENTION_DAYS', 7, 1, 3650),
      r.int('TELEMETRY_1M_RETENTION_DAYS', 30, 1, 3650),
      r.int('TELEMETRY_1H_RETENTION_DAYS', 400, 1, 36500),
      r.int('TELEMETRY_MAINTENANCE_MS', 60_000, 100, 86_400_000),
      r.int('TELEMETRY_FLUSH_MS', 100, 1, 60_000),
      r.int('TELEMETRY_FLUSH_ROWS', 2000, 1, 100_000),
      r.int('TELEMETRY_DRIFT_PSI_MILLI', 200, 1, 100_000) / 1000,
      r.int('TELEMETRY_DRIFT_WINDOW_S', 300, 1, 86_400) * 1000,
      r.int('TELEMETRY_BASELINE_S', 600, 1, 30 * 86_400) * 1000,
    );
    if (problems.length > 0) throw new ConfigError(problems);
    return cfg;
  }
}
