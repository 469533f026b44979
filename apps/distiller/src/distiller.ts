import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AppConfig, AppLogger, createRootLogger } from '@edgefleet/platform';
import type { Env } from '@edgefleet/platform';
import { DistillationConfig, DistillationWorkerService } from '@edgefleet/distillation-worker';
import { DistillerAppModule } from './distiller-app.module';

export interface Distiller {
  workerId: string;
  app: INestApplicationContext;
  close(): Promise<void>;
}

/**
 * Starts one distillation worker process-side: it opens the database (DATABASE_URL, or PGlite in DATA_DIR —
 * only useful when no control plane holds that PGlite), and claims jobs until close(). The artifact store is
 * DATA_DIR/artifacts: workers on other machines must share it with the control plane (e.g. a network mount).
 */
export async function startDistiller(env: Env): Promise<Distiller> {
  const config = AppConfig.fromEnv(env);
  // A distiller exists to run the worker, whatever EMBEDDED_WORKER says for the control plane.
  const distillation = DistillationConfig.fromEnv({ ...env, EMBEDDED_WORKER: 'true' });
  const app = await NestFactory.createApplicationContext(DistillerAppModule.forRoot(config, distillation), {
    logger: new AppLogger(createRootLogger(config.logLevel, config.logFormat)),
    abortOnError: false,
  });
  await app.init();
  const workerId = app.get(DistillationWorkerService).workerId ?? 'unknown';
  return { workerId, app, close: () => app.close() };
}
