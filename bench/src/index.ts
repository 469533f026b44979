/**
 * `npm run bench -- <name> [args]`: runs one benchmark. Each prints our figure beside the alternative
 * a user would pick, measured in the same run, as a ratio.
 */
const benches: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  ota: () => import('./ota.js'),
  api: () => import('./api.js'),
  train: () => import('./train.js'),
  distill: () => import('./distill.js'),
  selection: () => import('./selection.js'),
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const load = name ? benches[name] : undefined;
  if (!load) {
    console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]`);
    process.exit(2);
  }
  await (await load()).run(args);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
