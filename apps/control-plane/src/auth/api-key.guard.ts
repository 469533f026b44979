import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthorizedError, RefusalAudit } from '@edgefleet/platform';
import { ApiKeyService } from './api-key.service';
import { IS_PUBLIC } from './public.decorator';
import { Role, roleAllows, ROLES_KEY } from './roles';
import type { AuthenticatedRequest } from './actor.decorator';
import type { VerifiedKey } from './verified-key.cache';

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

  // Not async: a key the service answers from memory passes without a promise (most requests, docs/api-performance.md).
  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (ctx.getType() !== 'http') return true; // MQTT handlers authenticate devices their own way
    const { isPublic, roles } = this.requirementOf(ctx);
    if (isPublic) return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const refused = (err: unknown): never => {
      if (err instanceof UnauthorizedError) this.refusals.refused(`ip:${req.ip}`, err.message);
      throw err;
    };
    let key: VerifiedKey | Promise<VerifiedKey>;
    try {
      key = this.keys.authenticate(req.headers);
    } catch (err) {
      return refused(err);
    }
    return key instanceof Promise ? key.then((k) => this.admit(req, k, roles), refused) : this.admit(req, key, roles);
  }

  private admit(req: AuthenticatedRequest, key: VerifiedKey, roles: readonly Role[]): true {
    req.apiKey = key;
    assertRole(key.role, roles);
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
