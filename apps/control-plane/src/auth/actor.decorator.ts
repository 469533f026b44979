import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../audit/audit.types';

/** Set by ApiKeyGuard: the id of the key that authenticated this request. */
export interface AuthenticatedRequest extends FastifyRequest {
  apiKeyId?: string;
}

/** The caller, for audit events: `apikey:<id>`. */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  return req.apiKeyId ? `apikey:${req.apiKeyId}` : 'anonymous';
});
