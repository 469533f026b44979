import { ConfigError, Env } from '@edgefleet/platform';
import { EnvReader } from '@edgefleet/platform';

/**
 * Settings of the rollout driver, read once with the rest of the configuration.
 *
 * | env | default | meaning |
 * |---|---|---|
 * | ROLLOUT_DRIVER_ENABLED | true | drive rollouts from this control plane (several may share one database: a lease gives each rollout one driver) |
 * | ROLLOUT_TICK_MS | 500 | how often the driver looks at the rollouts it holds (and takes free or expired leases) |
 * | ROLLOUT_LEASE_MS | 15000 | a driver holds a rollout this long without renewing; a crashed control plane's rollouts move on after it |
 */
export class RolloutConfig {
  constructor(readonly enabled: boolean, readonly tickMs: number, readonly leaseMs: number) {}

  static defaults(): RolloutConfig {
    return RolloutConfig.fromEnv({});
  }

  static fromEnv(env: Env): RolloutConfig {
    const problems: string[] = [];
    const r = new EnvReader(env, problems);
    const cfg = new RolloutConfig(r.flag('ROLLOUT_DRIVER_ENABLED', true), r.int('ROLLOUT_TICK_MS', 500, 20, 60_000), r.int('ROLLOUT_LEASE_MS', 15_000, 200, 3_600_000));
    if (!(cfg.leaseMs > 2 * cfg.tickMs)) problems.push('ROLLOUT_LEASE_MS must be more than twice ROLLOUT_TICK_MS (the lease is renewed every tick)');
    if (problems.length > 0) throw new ConfigError(problems);
    return cfg;
  }
}
