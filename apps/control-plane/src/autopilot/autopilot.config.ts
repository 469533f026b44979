import { ConfigError, Env, EnvReader } from '@edgefleet/platform';

/**
 * Settings of the autopilot (the loop that keeps every class of every fleet target on a fitting model), read once
 * from the same environment as the rest of the configuration (bootstrap's loadConfig lists all problems together).
 *
 * | env | default | meaning |
 * |---|---|---|
 * | AUTOPILOT_ENABLED | true | run the reconciler in this control plane (several may share one database) |
 * | AUTOPILOT_INTERVAL_MS | 600000 | safety pass over every target and class (behind the events; catches what another control plane heard) |
 * | AUTOPILOT_WATCH_MS | 1000 | how often pairs waiting on a distillation or a deployment look at it (one query) |
 * | AUTOPILOT_MAX_SHARE_PERCENT | 25 | share of wall time the loop may be busy: after each item it pauses (100/share − 1) × what the item took |
 * | AUTOPILOT_LEASE_MS | 60000 | a reconcile holds its (target, class) this long at most; a crashed holder's lease expires |
 * | AUTOPILOT_MAX_DISTILLATIONS | 2 | distillations per (target, class) before it gives up |
 */
export class AutopilotConfig {
  constructor(
    readonly enabled: boolean,
    readonly intervalMs: number,
    readonly watchMs: number,
    /** 0.05 … 1 (AUTOPILOT_MAX_SHARE_PERCENT / 100). */
    readonly maxShare: number,
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
      r.int('AUTOPILOT_INTERVAL_MS', 600_000, 100, 86_400_000),
      r.int('AUTOPILOT_WATCH_MS', 1_000, 50, 3_600_000),
      r.int('AUTOPILOT_MAX_SHARE_PERCENT', 25, 5, 100) / 100,
      r.int('AUTOPILOT_LEASE_MS', 60_000, 1_000, 3_600_000),
      r.int('AUTOPILOT_MAX_DISTILLATIONS', 2, 0, 20),
    );
    if (problems.length > 0) throw new ConfigError(problems);
    return cfg;
  }
}
