import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, InUseError, InvalidInputError, isTransientDatabaseError } from '@edgefleet/platform';

/** The one error shape of the API. `details` lists every problem when there are several (validation). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: string[];
  correlationId: string;
}

/** Maps every error thrown while serving a Nest route to ErrorBody (errorBody below). */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = errorBody(exception, String(req.id));
    if (body.statusCode === 503) {
      // Expected while the database is away (restart, failover): one line, no stack; the client retries.
      this.log.warn(`${req.method} ${req.url} [${body.correlationId}]: ${describe(exception).split('\n').find((l) => l.trim()) ?? ''}`);
      void reply.header('retry-after', String(DATABASE_RETRY_AFTER_S));
    } else if (body.statusCode >= 500) {
      this.log.error(`${req.method} ${req.url} [${body.correlationId}]: ${describe(exception)}`, (exception as Error)?.stack);
    }
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

/** Retry-After of a 503 for an unreachable database: about one reconnect attempt of the pool. */
const DATABASE_RETRY_AFTER_S = 2;

/**
 * The ErrorBody of any error. Domain errors carry their status; Nest's HttpExceptions and Fastify's own 4xx errors
 * (bad JSON, body too large, rate limit) keep theirs; a transient database error (the database restarting, a lost
 * connection, a pool timeout: isTransientDatabaseError) is a 503 the client may retry, as /health says at that
 * moment; anything else is a 500 whose details stay in the log.
 * Messages never carry a server path (scrubServerPaths): a refused upload must not tell where files live.
 */
export function errorBody(exception: unknown, correlationId: string): ErrorBody {
  const make = (statusCode: number, message: string, details?: string[]): ErrorBody => ({
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message: scrubServerPaths(message),
    ...(details && details.length > 1 ? { details: details.map(scrubServerPaths) } : {}),
    correlationId,
  });
  if (exception instanceof InvalidInputError) return make(exception.status, exception.message, exception.details);
  if (exception instanceof InUseError) return make(exception.status, exception.message, exception.users);
  if (exception instanceof DomainError) return make(exception.status, exception.message);
  if (exception instanceof HttpException) {
    const res = exception.getResponse();
    const raw = typeof res === 'string' ? res : (res as { message?: unknown }).message;
    const messages = Array.isArray(raw) ? raw.map(String) : [String(raw ?? exception.message)];
    return make(exception.getStatus(), messages.join('; '), messages);
  }
  const statusCode = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return make(statusCode, (exception as Error).message);
  }
  if (isTransientDatabaseError(exception)) return make(503, 'the database is unavailable right now; retry shortly');
  return make(500, 'internal error; see the server log for this correlation id');
}

/** Absolute file paths under the usual server roots (and Windows drive paths), as they appear in library errors. */
const SERVER_PATH = /(?:[A-Za-z]:\\|\/(?:tmp|var|home|root|usr|opt|srv|work|data|mnt|etc|proc|run|app|Users)\/)[^\s'"`:,;)]*/g;

/** Replaces server paths in a message by `<file>`. */
export const scrubServerPaths = (message: string): string => message.replace(SERVER_PATH, '<file>');

const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
