import { SetMetadata } from '@nestjs/common';

export const ROLES = ['admin', 'operator', 'viewer', 'enroller'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What each role may do, as the set of route roles it satisfies: viewer reads; operator reads and changes the
 * fleet (devices, deployments, targets, distillations) and may create enrollment tokens; enroller may only create
 * enrollment tokens; admin may do everything, including managing API keys.
 */
const SATISFIES: Record<Role, ReadonlySet<Role>> = {
  admin: new Set(ROLES),
  operator: new Set<Role>(['operator', 'viewer', 'enroller']),
  viewer: new Set<Role>(['viewer']),
  enroller: new Set<Role>(['enroller']),
};

/** True when a key with `keyRole` may call a route open to any of `routeRoles`. */
export const roleAllows = (keyRole: Role, routeRoles: readonly Role[]): boolean => routeRoles.some((r) => SATISFIES[keyRole].has(r));

export const ROLES_KEY = 'edgefleet:roles';

/**
 * The least role a route needs (`@Roles('viewer')` on reads, `@Roles('operator')` on fleet changes,
 * `@Roles('enroller')` on creating enrollment tokens). On a controller it covers every handler; a handler's own
 * @Roles overrides it. A route with neither @Roles nor @Public is open to admin keys only (closed by default).
 */
export const Roles = (...roles: [Role, ...Role[]]) => SetMetadata(ROLES_KEY, roles);
