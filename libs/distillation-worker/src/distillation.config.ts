import { ConfigError, Env, EnvReader } from '@edgefleet/platform';

/**
 * Settings of the distillation queue and its workers, read once from the environment (a separate object so the
 * standalone distiller and the control plane share it without widening AppConfig).
 *
 * | env | default | meaning |
 * |---|---|---|
 * | EMBEDDED_WORKER | true | run a distillation worker inside the control plane |
 * | WORKER_LEASE_MS | 30000 | a claim expires this long after the last heartbeat; then the job is retried |
 * | WORKER_HEARTBEAT_MS | 1000 | heartbeat / progress-write interval (≤ lease / 2) |
 * | WORKER_POLL_MS | 1000 | idle poll interval |
 * | DISTILL_THREADS | 2 | onnxruntime threads per job |
 * | DISTILL_MAX_ATTEMPTS | 3 | attempts per job (lease expiries and crashes count) |
 * | CODE_VERSION | package version | recorded in every artifact's lineage (e.g. a git commit) |
 */
export class DistillationConfig {
  constructor(
    readonly embeddedWorker: boolean,
    readonly leaseMs: number,
    readonly heartbeatMs: number,
    readonly pollMs: number,
    readonly threads: number,
    readonly maxAttempts: number,
    readonly codeVersion?: string,
  ) {}

  static fromEnv(env: Env): DistillationConfig {
    const problems: string[] = [];
    const r = new EnvReader(env, problems);
    const leaseMs = r.int('WORKER_LEASE_MS', 30_000, 200, 3_600_000);
    const heartbeatMs = r.int('WORKER_HEARTBEAT_MS', 1_000, 50, 600_000);
    if (heartbeatMs * 2 > leaseMs) problems.push(`WORKER_HEARTBEAT_MS (${heartbeatMs}) must be at most half of WORKER_LEASE_MS (${leaseMs})`);
    const cfg = new DistillationConfig(
      r.flag('EMBEDDED_WORKER', true), leaseMs, heartbeatMs, r.int('WORKER_POLL_MS', 1_000, 10, 600_000),
      r.int('DISTILL_THREADS', 2, 1, 64), r.int('DISTILL_MAX_ATTEMPTS', 3, 1, 100), env.CODE_VERSION?.trim() || undefined,
    );
    if (problems.length > 0) throw new ConfigError(problems);
    return cfg;
  }
}
