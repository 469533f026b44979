import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '@edgefleet/platform';
import type { VerifiedKey } from './verified-key.cache';

/** Set by ApiKeyGuard: the key that authenticated this request. */
export interface AuthenticatedRequest extends FastifyRequest {
  apiKey?: VerifiedKey;
  /**
   * Set by ApiKeyGuard: throws when the request's key has since been revoked, has expired or no longer has the
   * route's role. An answer that outlives the request's first moment (an event stream) asks it before it sends more.
   */
  stillAllowed?: () => Promise<void>;
}

/** The caller, for audit events: `apikey:<id>`. */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  return req.apiKey ? `apikey:${req.apiKey.id}` : 'anonymous';
});
