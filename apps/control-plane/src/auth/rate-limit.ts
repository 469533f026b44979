import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '@edgefleet/platform';
import { BROKER_AUTH_PATH } from '../mqtt/broker-http-auth.controller';
import { ApiKeyService } from './api-key.service';

/** A 429; Nest's Fastify error handler passes it to HttpErrorFilter, which answers it in the API's ErrorBody. */
class TooManyRequestsError extends Error {
  readonly statusCode = 429;
}

/**
 * REST rate limiting (@fastify/rate-limit, in memory per control plane): `rateLimitMax` requests per
 * `rateLimitWindowMs` per API key — keyed by the key's id once it has been verified (no I/O: the verified-key
 * cache), by the client address before that, so guessing keys is limited per address. Only `/api/` is limited,
 * except the broker's authentication endpoints (EMQX asks once per login and per publish/subscribe; they have
 * their own shared secret).
 */
export async function registerRateLimit(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  if (config.rateLimitMax === 0) return;
  const keys = app.get(ApiKeyService);
  await app.getHttpAdapter().getInstance().register(rateLimit, {
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    allowList: (req: FastifyRequest) => !req.url.startsWith('/api/') || req.url.startsWith(`/api/v1/${BROKER_AUTH_PATH}/`),
    keyGenerator: (req: FastifyRequest) => {
      const id = keys.knownKeyId(req.headers);
      return id ? `key:${id}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) => new TooManyRequestsError(`rate limit of ${ctx.max} requests per ${Math.round(config.rateLimitWindowMs / 1000)} s exceeded; retry in ${ctx.after}`),
  });
}
