import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { fastifyLogOptions, correlationIdOf } from '@edgefleet/platform';

/** The Fastify under the API: request ids are correlation ids, logs go through `log`, bodies ≤ `bodyLimit` bytes. */
export const createHttpAdapter = (log: Logger, bodyLimit: number) =>
  new FastifyAdapter({ genReqId: correlationIdOf, ...fastifyLogOptions(log), bodyLimit });
