import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import multipart from '@fastify/multipart';
import type { AddressInfo } from 'node:net';
import { Database } from '@edgefleet/db';
import { DEFAULT_JSON_LIMITS, parseJsonBounded } from '@edgefleet/contracts';
import { AppModule } from './app.module';
import { AppConfig, ConfigError, Env, AppLogger, createRootLogger, scopeLogsToRequests, processEnv, CORRELATION_HEADER, InvalidInputError, DATABASE, toJson } from '@edgefleet/platform';
import { DistillationConfig } from '@edgefleet/distillation-worker';
import { AutopilotConfig } from './autopilot/autopilot.config';
import { RolloutConfig } from './rollouts/rollout.config';
import { TelemetryConfig } from './telemetry/telemetry.config';
import { FleetMetrics } from './metrics/fleet-metrics';
import { createHttpAdapter } from './common/http-adapter';
import { HttpErrorFilter } from './common/http-error.filter';
import { createValidationPipe } from './common/validation';
import { ApiKeyService } from './auth/api-key.service';
import { HealthService } from './health/health.service';
import { registerRateLimit } from './auth/rate-limit';
import { MqttModule } from './mqtt/mqtt.module';
import { MqttBrokerService } from './mqtt/mqtt-broker.service';
import { OtaService } from './ota/ota.service';
import { DeploymentsService } from './deployments/deployment.service';
import { DOCS_PATH, setupOpenApi } from './openapi/openapi';
import { asHttpListenError } from './startup-errors';
import { serveDashboard, UI_PATH } from './ui/ui-static';

export const API_PREFIX = 'api/v1';
/** Largest JSON body the API reads (uploads are multipart and have their own limits). */
const HTTP_BODY_LIMIT = 1024 * 1024;

/** A running control plane: where it listens and how to stop it. */
export interface ControlPlane {
  /** e.g. http://127.0.0.1:8080 (the real port when PORT=0). */
  httpUrl: string;
  /** `${httpUrl}/api/v1` */
  apiUrl: string;
  docsUrl: string;
  /** The web dashboard: `${httpUrl}/ui/` (log in with an API key). */
  uiUrl: string;
  /** The broker devices connect to: the embedded one (real port when MQTT_PORT=0) or MQTT_URL. */
  mqttUrl: string;
  mqttEmbedded: boolean;
  /** ADMIN_API_KEY, or the key generated on this start; undefined when keys already existed and none was given. */
  adminApiKey?: string;
  /** True when adminApiKey was generated just now (print it: it is shown once). */
  adminApiKeyGenerated: boolean;
  /** PEM of the key desired states are signed with (agents' --trust-key). */
  signingPublicKeyPem: string;
  signingPublicKeyPath: string;
  database: { kind: Database['kind']; describe: string };
  config: AppConfig;
  app: NestFastifyApplication;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Close on SIGINT/SIGTERM (the CLI wants this; tests starting several instances do not). */
  shutdownHooks?: boolean;
}

/** Reads every configuration object from one environment, listing the problems of all of them at once. */
function loadConfig(env: Env): { config: AppConfig; distillation: DistillationConfig; autopilot: AutopilotConfig; rollout: RolloutConfig; telemetry: TelemetryConfig } {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
      return undefined;
    }
  };
  const config = attempt(() => AppConfig.fromEnv(env));
  const distillation = attempt(() => DistillationConfig.fromEnv(env));
  const autopilot = attempt(() => AutopilotConfig.fromEnv(env));
  const rollout = attempt(() => RolloutConfig.fromEnv(env));
  const telemetry = attempt(() => TelemetryConfig.fromEnv(env));
  if (!config || !distillation || !autopilot || !rollout || !telemetry) throw new ConfigError(problems);
  return { config, distillation, autopilot, rollout, telemetry };
}

/**
 * Starts the whole control plane in this process: database (PGlite or PostgreSQL), MQTT (embedded Aedes or an
 * external broker), the device message handlers and the HTTP API. `env` defaults to the process environment;
 * tests pass their own (e.g. `{ DATA_DIR: tmp, PORT: '0', MQTT_PORT: '0' }`). Throws ConfigError,
 * HttpPortInUseError, MqttPortInUseError or a DatabaseError with an operator-readable message.
 */
export async function startControlPlane(env?: Env, opts: StartOptions = {}): Promise<ControlPlane> {
  const { config, distillation, autopilot, rollout, telemetry } = loadConfig(env ?? processEnv());
  const log = createRootLogger(config.logLevel, config.logFormat);
  // Nest and Fastify log through the same pino logger: each request gets a child carrying its correlation id,
  // and one access-log line when it completes.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, distillation, autopilot, rollout, telemetry), createHttpAdapter(log, HTTP_BODY_LIMIT), {
    logger: new AppLogger(log),
    abortOnError: false, // throw instead of process.exit, so callers (tests, main) decide
  });
  try {
    await configureHttp(app, config);
    // Init first: the broker binds, the signing key loads and the outbound MQTT client connects before any
    // device message can reach a handler.
    await app.init();
    app.connectMicroservice(await MqttModule.microserviceOptions(app));
    await app.startAllMicroservices();
    const fastify = app.getHttpAdapter().getInstance();
    try {
      await fastify.listen({ port: config.port, host: config.host });
    } catch (err) {
      throw asHttpListenError(err, config);
    }
    // Only once listening: a generated key is shown once, so it must not be created by a start that fails.
    const admin = await app.get(ApiKeyService).ensureAdminKey();
    app.get(HealthService).markStarted();
    // Devices that worked on a deployment while no control plane listened are asked what they have now (answers go to
    // the subscription started above); not awaited: start-up does not wait for a fleet's answers.
    void app.get(DeploymentsService).queryUnfinishedAtStart().catch((err: unknown) => log.warn({ err }, 'start-up state queries failed; the stall watcher asks later'));
    if (opts.shutdownHooks) app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
    const { port } = fastify.server.address() as AddressInfo;
    const httpUrl = `http://${urlHost(config.host)}:${port}`;
    const broker = app.get(MqttBrokerService);
    const ota = app.get(OtaService);
    const db = app.get<Database>(DATABASE);
    return {
      httpUrl,
      apiUrl: `${httpUrl}/${API_PREFIX}`,
      docsUrl: `${httpUrl}/${DOCS_PATH}`,
      uiUrl: `${httpUrl}/${UI_PATH}/`,
      mqttUrl: broker.url,
      mqttEmbedded: broker.embedded,
      adminApiKey: admin.key,
      adminApiKeyGenerated: admin.generated,
      signingPublicKeyPem: ota.publicKeyPem(),
      signingPublicKeyPath: ota.publicKeyPath(),
      database: { kind: db.kind, describe: db.describe },
      config,
      app,
      close: () => app.close(),
    };
  } catch (err) {
    await app.close();
    throw err;
  }
}

async function configureHttp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  await app.register(multipart, {
    limits: {
      fileSize: Math.max(config.maxModelBytes, config.maxEvalSetBytes),
      files: 2,
      fields: 10,
      fieldSize: 64 * 1024,
      parts: 12,
    },
  });
  // JSON bodies go through the same bounded parse as MQTT payloads: size and nesting are checked on the raw
  // text before JSON.parse, so a 100k-deep body is a 400 and never reaches class-transformer.
  app.useBodyParser('application/json', { bodyLimit: HTTP_BODY_LIMIT }, (_req, body, done) => {
    const parsed = parseJsonBounded(body, { maxBytes: HTTP_BODY_LIMIT, maxDepth: DEFAULT_JSON_LIMITS.maxDepth });
    if (parsed.ok) done(null, parsed.value);
    else done(new InvalidInputError(`invalid JSON body: ${parsed.errors.join('; ')}`, parsed.errors), undefined);
  });
  await registerRateLimit(app, config);
  const fastify = app.getHttpAdapter().getInstance();
  // JSON.stringify, except that views of cached reads are serialized once (shared-views.ts).
  fastify.setReplySerializer((payload) => toJson(payload));
  scopeLogsToRequests(fastify);
  // Callback hooks, not async ones: an async hook costs each request a promise and a microtask turn (and, with the
  // request-scoped logs' AsyncLocalStorage, a promise hook call) for work that never waits.
  fastify.addHook('onSend', (req, reply, payload, done) => {
    void reply.header(CORRELATION_HEADER, req.id);
    done(null, payload);
  });
  // Prometheus series of every answered request, by route pattern (bounded), never by URL.
  const metrics = app.get(FleetMetrics);
  fastify.addHook('onResponse', (req, reply, done) => {
    metrics.http(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health', 'metrics'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  setupOpenApi(app);
  await serveDashboard(app);
}

/** 0.0.0.0 / :: bind everything; a client reaches them on loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
