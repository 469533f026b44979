import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthorizedError, RefusalAudit } from '@edgefleet/platform';
import { ApiKeyService } from './api-key.service';
import { IS_PUBLIC } from './public.decorator';
import { Role, roleAllows, ROLES_KEY } from './roles';
import type { AuthenticatedRequest } from './actor.decorator';

const ADMIN_ONLY: readonly Role[] = ['admin'];

/**
 * Global guard: every HTTP route needs a valid API key unless marked @Public(), and the key's role must satisfy
 * the route's @Roles (admin only when a route has none). Refused keys are audited in bursts per client address.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector, private readonly keys: ApiKeyService, private readonly refusals: RefusalAudit) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true; // MQTT handlers authenticate devices their own way
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    try {
      req.apiKey = await this.keys.authenticate(req.headers.authorization);
    } catch (err) {
      if (err instanceof UnauthorizedError) this.refusals.refused(`ip:${req.ip}`, err.message);
      throw err;
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? ADMIN_ONLY;
    if (!roleAllows(req.apiKey.role, roles)) {
      throw new ForbiddenError(`this API key's role (${req.apiKey.role}) may not do this; it needs ${roles.join(' or ')}`);
    }
    return true;
  }
}
