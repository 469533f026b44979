import { ensureLockFile } from '../benchmark/host-lock';
import { AgentConfigError } from '../lib/errors';
import type { AgentOptions } from './agent-options';

/** Refuses options the agent cannot run with, listing every problem at once (AgentConfigError). */
export async function checkOptions(options: AgentOptions): Promise<void> {
  const problems: string[] = [];
  if (!options.brokerUrl) problems.push('brokerUrl is required');
  if (!options.deviceId) problems.push('deviceId is required');
  if (options.benchmarkLock) {
    // Checked now: a lock file that cannot be created would otherwise fail every benchmark, deployment after deployment.
    const err = await ensureLockFile(options.benchmarkLock).then(() => undefined, (e: unknown) => e as Error);
    if (err) problems.push(`benchmark lock ${options.benchmarkLock}: cannot create (${err.message})`);
  }
  if (problems.length) throw new AgentConfigError(problems);
}
