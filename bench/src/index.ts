/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each prints our figure beside the alternative
 * a user would pick, measured in the same run, as a ratio. `npm run bench -- <name> --help` lists its options.
 */
// First: the rollout benches hold a simulated fleet in this process (sets UV_THREADPOOL_SIZE before the pool starts).
import '@edgefleet/device-agent/dist/config/fleet-threadpool';
import { CommandLine, CommandSpec, runCommand } from '@edgefleet/toolkit';

/** What each bench module exports: its command-line table and its run over the parsed line. */
export interface Bench {
  command: CommandSpec;
  run(cl: CommandLine): Promise<void>;
}

const benches: Record<string, () => Promise<Bench>> = {
  ota: () => import('./ota.js'),
  rollout: () => import('./rollout.js'),
  'rollout-waves': () => import('./rollout-waves.js'),
  api: () => import('./api.js'),
  cost: () => import('./cost.js'),
  train: () => import('./train.js'),
  distill: () => import('./distill.js'),
  int8: () => import('./int8.js'),
  selection: () => import('./selection.js'),
  autopilot: () => import('./autopilot.js'),
  text: () => import('./text.js'),
  telemetry: () => import('./telemetry.js'),
};

const DISPATCHER: CommandSpec = {
  name: 'bench',
  invocation: 'npm run bench --',
  positionals: `<${Object.keys(benches).join('|')}>`,
  summary: 'Runs one benchmark; `npm run bench -- <name> --help` lists its options.',
  options: {},
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const load = name && !name.startsWith('-') ? benches[name] : undefined;
  if (!load) {
    // No bench named: the dispatcher's own --help, or a one-line error.
    runCommand(DISPATCHER, process.argv.slice(2), async (cl) => {
      cl.check(false, name ? `unknown benchmark ${name} (one of ${Object.keys(benches).join(', ')})` : 'name a benchmark');
      cl.done();
    });
    return;
  }
  const bench = await load();
  runCommand(bench.command, args, (cl) => bench.run(cl));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
