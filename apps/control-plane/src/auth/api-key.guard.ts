import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthorizedError, RefusalAudit } from '@edgefleet/platform';
import { ApiKeyService } from './api-key.service';
import { IS_PUBLIC } from './public.decorator';
import { Role, roleAllows, ROLES_KEY } from './roles';
import type { AuthenticatedRequest } from './actor.decorator';

const ADMIN_ONLY: readonly Role[] = ['admin'];

/** What a handler requires: fixed at start-up by its decorators, so read once per handler, not per request. */
interface Requirement {
  isPublic: boolean;
  roles: readonly Role[];
}

/**
 * Global guard: every HTTP route needs a valid API key unless marked @Public(), and the key's role must satisfy
 * the route's @Roles (admin only when a route has none). Refused keys are audited in bursts per client address.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  /** Per controller class, then handler: an inherited handler serves controllers whose class-level @Roles differ. */
  private readonly requirements = new WeakMap<object, WeakMap<object, Requirement>>();

  constructor(private readonly reflector: Reflector, private readonly keys: ApiKeyService, private readonly refusals: RefusalAudit) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true; // MQTT handlers authenticate devices their own way
    const { isPublic, roles } = this.requirementOf(ctx);
    if (isPublic) return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    try {
      req.apiKey = await this.keys.authenticate(req.headers);
    } catch (err) {
      if (err instanceof UnauthorizedError) this.refusals.refused(`ip:${req.ip}`, err.message);
      throw err;
    }
    assertRole(req.apiKey.role, roles);
    req.stillAllowed = async () => assertRole((await this.keys.authenticate(req.headers)).role, roles);
    return true;
  }

  private requirementOf(ctx: ExecutionContext): Requirement {
    const handler = ctx.getHandler();
    const cls = ctx.getClass();
    let byHandler = this.requirements.get(cls);
    if (!byHandler) this.requirements.set(cls, (byHandler = new WeakMap()));
    let r = byHandler.get(handler);
    if (!r) {
      const targets = [handler, cls];
      r = {
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true,
        roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? ADMIN_ONLY,
      };
      byHandler.set(handler, r);
    }
    return r;
  }
}

function assertRole(role: Role, roles: readonly Role[]): void {
  if (!roleAllows(role, roles)) throw new ForbiddenError(`this API key's role (${role}) may not do this; it needs ${roles.join(' or ')}`);
}
