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
  /** The control plane's own login on the broker (its service identity); the embedded broker generates the password. */
  readonly mqttUsername: string;
  readonly mqttPassword?: string;
  /** BROKER_AUTH_SECRET: the header EMQX sends to the HTTP authN/authZ endpoints; unset = those endpoints refuse everything. */
  readonly brokerAuthSecret?: string;
  /**
   * INSECURE lab mode: the embedded broker accepts anonymous clients that may act as any device, the control
   * plane accepts messages from devices it has not enrolled (an unknown device's hello registers it) and serves
   * any stored object. Off by default; logged loudly at every start when on.
   */
  readonly mqttAllowAnonymous: boolean;
  /** Manage device logins in Mosquitto's dynamic-security plugin over $CONTROL (see docs/security.md). */
  readonly mqttDynsec: boolean;
  /** PEM files: when cert and key are set the embedded broker speaks MQTT over TLS (mqtts://). */
  readonly mqttTlsCert?: string;
  readonly mqttTlsKey?: string;
  /**
   * CA the control plane's own clients verify the embedded broker's certificate with (the one agents get with
   * --ca-file). Default: MQTT_TLS_CERT itself, which works for a self-signed certificate or a chain ending at its root.
   */
  readonly mqttTlsCa?: string;
  /** CA of device client certificates: enables mutual TLS (a certificate's CN is the device id). */
  readonly mqttTlsClientCa?: string;
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
  /** How long a signed desired state is valid; open ones are re-signed when a third of it is left. */
  readonly desiredStateValidityMs: number;
  /** REST requests one API key (or, before a key is verified, one IP) may make per rateLimitWindowMs; 0 = off. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  /** How often a cached, verified API key is re-read (revocations by another control plane take this long). */
  readonly apiKeyRecheckMs: number;
  readonly logFormat: LogFormat;

  constructor(fields: AppConfigFields) {
    this.port = fields.port;
    this.host = fields.host;
    this.mqttPort = fields.mqttPort;
    this.mqttUrl = fields.mqttUrl;
    this.databaseUrl = fields.databaseUrl;
    this.mqttUsername = fields.mqttUsername;
    this.mqttPassword = fields.mqttPassword;
    this.brokerAuthSecret = fields.brokerAuthSecret;
    this.mqttAllowAnonymous = fields.mqttAllowAnonymous;
    this.mqttDynsec = fields.mqttDynsec;
    this.mqttTlsCert = fields.mqttTlsCert;
    this.mqttTlsKey = fields.mqttTlsKey;
    this.mqttTlsClientCa = fields.mqttTlsClientCa;
    this.mqttTlsCa = fields.mqttTlsCa;
    this.dataDir = fields.dataDir;
    this.adminApiKey = fields.adminApiKey;
    this.blockSize = fields.blockSize;
    this.maxModelBytes = fields.maxModelBytes;
    this.maxEvalSetBytes = fields.maxEvalSetBytes;
    this.logLevel = fields.logLevel;
    this.desiredStateValidityMs = fields.desiredStateValidityMs;
    this.rateLimitMax = fields.rateLimitMax;
    this.rateLimitWindowMs = fields.rateLimitWindowMs;
    this.apiKeyRecheckMs = fields.apiKeyRecheckMs;
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
      mqttUsername: r.string('MQTT_USERNAME', 'edgefleet-control-plane'),
      mqttPassword: r.optionalString('MQTT_PASSWORD', 16),
      brokerAuthSecret: r.optionalString('BROKER_AUTH_SECRET', 16),
      mqttAllowAnonymous: r.flag('MQTT_ALLOW_ANONYMOUS', false),
      mqttDynsec: r.flag('MQTT_DYNSEC', false),
      mqttTlsCert: optionalPath(r.optionalString('MQTT_TLS_CERT', 1), cwd),
      mqttTlsKey: optionalPath(r.optionalString('MQTT_TLS_KEY', 1), cwd),
      mqttTlsCa: optionalPath(r.optionalString('MQTT_TLS_CA', 1), cwd),
      mqttTlsClientCa: optionalPath(r.optionalString('MQTT_TLS_CLIENT_CA', 1), cwd),
      databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
      dataDir: absolute(r.string('DATA_DIR', './data'), cwd),
      adminApiKey: r.optionalString('ADMIN_API_KEY', 16),
      blockSize: r.int('BLOCK_SIZE', DEFAULT_BLOCK_SIZE, 1024, MAX_BLOCK_SIZE),
      maxModelBytes: r.int('MAX_MODEL_MB', 512, 1, 2047) * 1024 * 1024,
      maxEvalSetBytes: r.int('MAX_EVAL_SET_MB', 64, 1, 1024) * 1024 * 1024,
      logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'log'),
      desiredStateValidityMs: r.int('DESIRED_STATE_VALIDITY_MIN', 24 * 60, 1, 30 * 24 * 60) * 60_000,
      rateLimitMax: r.int('RATE_LIMIT_MAX', 1200, 0, 1_000_000_000),
      rateLimitWindowMs: r.int('RATE_LIMIT_WINDOW_MS', 60_000, 1000, 3_600_000),
      apiKeyRecheckMs: r.int('API_KEY_RECHECK_MS', 5000, 100, 600_000),
      logFormat: r.oneOf('LOG_FORMAT', LOG_FORMATS, 'auto'),
    };
    if (!fields.mqttUrl && fields.port !== 0 && fields.port === fields.mqttPort) {
      problems.push(`PORT and MQTT_PORT are both ${fields.port}; the HTTP server and the embedded broker need different ports`);
    }
    if ((fields.mqttTlsCert === undefined) !== (fields.mqttTlsKey === undefined)) problems.push('MQTT_TLS_CERT and MQTT_TLS_KEY must be set together');
    if (fields.mqttTlsClientCa && !fields.mqttTlsCert) problems.push('MQTT_TLS_CLIENT_CA (mutual TLS) needs MQTT_TLS_CERT and MQTT_TLS_KEY');
    if (fields.mqttUrl && fields.mqttTlsCert) problems.push('MQTT_TLS_* configure the embedded broker; with MQTT_URL the external broker\'s own configuration decides');
    if (fields.mqttDynsec && (!fields.mqttUrl || !fields.mqttPassword)) problems.push('MQTT_DYNSEC needs MQTT_URL and MQTT_PASSWORD (the service identity the generated Mosquitto configuration grants the dynamic-security admin role)');
    if (problems.length > 0) throw new ConfigError(problems);
    return new AppConfig(fields);
  }
}

export type AppConfigFields = { [K in keyof AppConfig as AppConfig[K] extends Function ? never : K]: AppConfig[K] };

const optionalPath = (p: string | undefined, cwd: string) => (p === undefined ? undefined : absolute(p, cwd));
const absolute = (p: string, cwd: string) => (isAbsolute(p) ? p : resolve(cwd, p));

