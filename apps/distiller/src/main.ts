import { ConfigError, processEnv } from '@edgefleet/platform';
import { startDistiller } from './distiller';

// `npm run worker`: one worker per process; stop with SIGINT/SIGTERM (its running job goes back to the queue).
async function main(): Promise<void> {
  const distiller = await startDistiller(processEnv());
  distiller.app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  console.log(`distiller ${distiller.workerId} waiting for distillation jobs`);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
