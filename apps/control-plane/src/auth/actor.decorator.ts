import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '@edgefleet/platform';
import type { VerifiedKey } from './verified-key.cache';

/** Set by ApiKeyGuard: the key that authenticated this request. */
export interface AuthenticatedRequest extends FastifyRequest {
  apiKey?: VerifiedKey;
}

/** The caller, for audit events: `apikey:<id>`. */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  return req.apiKey ? `apikey:${req.apiKey.id}` : 'anonymous';
});
