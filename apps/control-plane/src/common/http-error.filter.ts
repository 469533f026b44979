import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, InvalidInputError } from './errors';

/** The one error shape of the API. `details` lists every problem when there are several (validation). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: string[];
  correlationId: string;
}

/**
 * Maps every error thrown while serving HTTP to ErrorBody. Domain errors carry their status; Nest's
 * HttpExceptions and Fastify's own 4xx errors (bad JSON, body too large, file over the limit) keep theirs;
 * anything else is a 500 whose details go to the log, not to the caller.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = this.toBody(exception, String(req.id));
    if (body.statusCode >= 500) {
      this.log.error(`${req.method} ${req.url} [${body.correlationId}]: ${describe(exception)}`, (exception as Error)?.stack);
    }
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private toBody(exception: unknown, correlationId: string): ErrorBody {
    const make = (statusCode: number, message: string, details?: string[]): ErrorBody => ({
      statusCode,
      error: STATUS_CODES[statusCode] ?? 'Error',
      message,
      ...(details && details.length > 1 ? { details } : {}),
      correlationId,
    });
    if (exception instanceof InvalidInputError) return make(exception.status, exception.message, exception.details);
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
    return make(500, 'internal error; see the server log for this correlation id');
  }
}

const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
