import { EnvReader } from './env-reader';
import { isAbsolute, resolve } from 'node:path';
import { MAX_BLOCK_SIZE, DEFAULT_BLOCK_SIZE } from '@edgefleet/contracts';

export type Env = Record<string, string | undefined>;

export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** `auto`: readable lines on a terminal, JSON otherwise (a pipe, a file, a log collector). */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Every problem found in the environment at once, so an operator fixes them in one pass. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * The control plane's configuration, read from the environment once at start (see docs/architecture.md for
 * the table). Injected wherever a setting is needed; nothing else reads `process.env`.
 */
export class AppConfig {
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  readonly host: string;
  /** Port of the embedded MQTT broker (ignored when mqttUrl is set); 0 picks a free one. */
  readonly mqttPort: number;
  /** External broker; when set, no broker is embedded. */
  readonly mqttUrl?: string;
  /** PostgreSQL; when unset the embedded PGlite under dataDir is used. */
  readonly databaseUrl?: string;
  /** Absolute. Holds PGlite, the artifact store and the signing keys. */
  readonly dataDir: string;
  /** Ensured to exist as an admin key at start. */
  readonly adminApiKey?: string;
  /** Bytes per OTA block (≤ MAX_BLOCK_SIZE of the protocol). */
  readonly blockSize: number;
  /** Largest model file an upload may carry. */
  readonly maxModelBytes: number;
  /** Largest eval-set file an upload may carry. */
  readonly maxEvalSetBytes: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;

  constructor(fields: AppConfigFields) {
    this.port = fields.port;
    this.host = fields.host;
    this.mqttPort = fields.mqttPort;
    this.mqttUrl = fields.mqttUrl;
    this.databaseUrl = fields.databaseUrl;
    this.dataDir = fields.dataDir;
    this.adminApiKey = fields.adminApiKey;
    this.blockSize = fields.blockSize;
    this.maxModelBytes = fields.maxModelBytes;
    this.maxEvalSetBytes = fields.maxEvalSetBytes;
    this.logLevel = fields.logLevel;
    this.logFormat = fields.logFormat;
  }

  /** Validates `env` and builds the config, or throws ConfigError listing every bad value. */
  static fromEnv(env: Env, cwd: string = process.cwd()): AppConfig {
    const problems: string[] = [];
    const r = new EnvReader(env, problems);
    const fields: AppConfigFields = {
      port: r.port('PORT', 8080),
      host: r.string('HOST', '127.0.0.1'),
      mqttPort: r.port('MQTT_PORT', 1884),
      mqttUrl: r.url('MQTT_URL', ['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:']),
      databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
      dataDir: absolute(r.string('DATA_DIR', './data'), cwd),
      adminApiKey: r.optionalString('ADMIN_API_KEY', 16),
      blockSize: r.int('BLOCK_SIZE', DEFAULT_BLOCK_SIZE, 1024, MAX_BLOCK_SIZE),
      maxModelBytes: r.int('MAX_MODEL_MB', 512, 1, 2047) * 1024 * 1024,
      maxEvalSetBytes: r.int('MAX_EVAL_SET_MB', 64, 1, 1024) * 1024 * 1024,
      logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'log'),
      logFormat: r.oneOf('LOG_FORMAT', LOG_FORMATS, 'auto'),
    };
    if (!fields.mqttUrl && fields.port !== 0 && fields.port === fields.mqttPort) {
      problems.push(`PORT and MQTT_PORT are both ${fields.port}; the HTTP server and the embedded broker need different ports`);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return new AppConfig(fields);
  }
}

export type AppConfigFields = { [K in keyof AppConfig as AppConfig[K] extends Function ? never : K]: AppConfig[K] };

const absolute = (p: string, cwd: string) => (isAbsolute(p) ? p : resolve(cwd, p));

