import { ConfigError, Env } from '../config/app-config';
import { EnvReader } from '../config/env-reader';

/**
 * Settings of the autopilot (the loop that keeps every class of every fleet target on a fitting model), read once
 * from the same environment as the rest of the configuration (bootstrap's loadConfig lists all problems together).
 *
 * | env | default | meaning |
 * |---|---|---|
 * | AUTOPILOT_ENABLED | true | run the reconciler in this control plane (several may share one database) |
 * | AUTOPILOT_INTERVAL_MS | 30000 | full reconcile of every target and class (the safety net behind the events) |
 * | AUTOPILOT_WATCH_MS | 1000 | how often pairs waiting on a distillation or a deployment look at it |
 * | AUTOPILOT_EVENT_DELAY_MS | 200 | a hello/report is reconciled this long after it arrives (its own handler commits first) |
 * | AUTOPILOT_LEASE_MS | 60000 | a reconcile holds its (target, class) this long at most; a crashed holder's lease expires |
 * | AUTOPILOT_MAX_DISTILLATIONS | 2 | distillations per (target, class) before it gives up |
 */
export class AutopilotConfig {
  constructor(
    readonly enabled: boolean,
    readonly intervalMs: number,
    readonly watchMs: number,
    readonly eventDelayMs: number,
    readonly leaseMs: number,
    readonly maxDistillations: number,
  ) {}

  static defaults(): AutopilotConfig {
    return AutopilotConfig.fromEnv({});
  }

  static fromEnv(env: Env): AutopilotConfig {
    const problems: string[] = [];
    const r = new EnvReader(env, problems);
    const cfg = new AutopilotConfig(
      r.flag('AUTOPILOT_ENABLED', true),
      r.int('AUTOPILOT_INTERVAL_MS', 30_000, 100, 86_400_000),
      r.int('AUTOPILOT_WATCH_MS', 1_000, 50, 3_600_000),
      r.int('AUTOPILOT_EVENT_DELAY_MS', 200, 0, 60_000),
      r.int('AUTOPILOT_LEASE_MS', 60_000, 1_000, 3_600_000),
      r.int('AUTOPILOT_MAX_DISTILLATIONS', 2, 0, 20),
    );
    if (problems.length > 0) throw new ConfigError(problems);
    return cfg;
  }
}
