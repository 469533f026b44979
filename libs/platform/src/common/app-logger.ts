import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogFormat, LogLevel } from '../config/app-config';

/** LOG_LEVEL keeps Nest's names (documented since the first release); pino calls them by its own. */
const PINO_LEVEL: Record<LogLevel, Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/** Nest's start-up chatter (every module and route): useful when debugging, noise on a normal start. */
const WIRING_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication', 'NestMicroservice']);

/**
 * One JSON object per line (pino), e.g. `{"level":30,"time":"…","correlationId":"…","context":"Deployments","msg":"…"}`,
 * to `destination` or stdout; `pretty` (and `auto` on a terminal) prints the same fields as readable lines.
 */
export function createRootLogger(level: LogLevel, format: LogFormat, destination?: DestinationStream): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && !destination && process.stdout.isTTY);
  const out = pretty ? pinoPretty({
    destination, sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,context', messageFormat: '{if context}{context}: {end}{msg}',
  }) : destination;
  return pino({ level: PINO_LEVEL[level], base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, out);
}

/** The logger of the request being served (Fastify's child logger for it, which carries its correlation id). */
const requestScope = new AsyncLocalStorage<Logger>();

/**
 * Nest's LoggerService on pino: inside an HTTP request every line carries the request's correlation id (the
 * request's child logger); outside one, the root logger. Nest's wiring lines are moved down to `debug`.
 */
export class AppLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = contextOf(rest);
    this.write(context !== undefined && WIRING_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void { this.write('error', message, rest); }
  warn(message: unknown, ...rest: unknown[]): void { this.write('warn', message, rest); }
  debug(message: unknown, ...rest: unknown[]): void { this.write('debug', message, rest); }
  verbose(message: unknown, ...rest: unknown[]): void { this.write('trace', message, rest); }
  fatal(message: unknown, ...rest: unknown[]): void { this.write('fatal', message, rest); }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    const log = requestScope.getStore() ?? this.root;
    if (!log.isLevelEnabled(level)) return;
    const context = contextOf(rest);
    // Nest passes (message, stack?, context?) to error(); a stack is recognisable by its frames.
    const stack = rest.find((p): p is string => typeof p === 'string' && /\n\s+at /.test(p));
    const fields: Record<string, unknown> = { ...(context !== undefined ? { context } : {}) };
    if (message instanceof Error) {
      log[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      log[level]({ ...fields, ...message });
    } else {
      log[level]({ ...fields, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}

/** Nest appends the logger's context as the last argument. */
function contextOf(rest: unknown[]): string | undefined {
  const last = rest[rest.length - 1];
  return typeof last === 'string' && !/\n\s+at /.test(last) ? last : undefined;
}

/**
 * One access-log line per request, when it completed: method, path, status and time (Fastify's default is two
 * lines, one on arrival). Health probes are logged at debug, so a load balancer polling them does not fill
 * the log.
 */
export class AccessLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'correlationId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime * 10) / 10 };
    if (error || reply.statusCode >= 500) request.log.error({ ...line, ...(error ? { err: error } : {}) }, 'request failed');
    else if (request.url === '/health') request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  }
}

/** Fastify's part: it logs through `log`, a child per request carrying the correlation id, one access line each. */
export const fastifyLogOptions = (log: Logger) => ({ loggerInstance: log, logController: new AccessLogController() });

/**
 * Makes the request's child logger the logger of everything the request runs. Fastify 5 keeps the async context
 * of onRequest through body parsing (checked with a ~1 MB JSON body), so entering it here is enough.
 */
export function scopeLogsToRequests(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, _reply, done) => requestScope.run(req.log as Logger, done));
}
