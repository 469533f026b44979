import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reflector } from '@nestjs/core';
import type { ExecutionContext } from '@nestjs/common';
import { UnauthorizedError, type RefusalAudit } from '@edgefleet/platform';
import { ApiKeyGuard } from './api-key.guard';
import type { ApiKeyService } from './api-key.service';
import { Roles, type Role } from './roles';

// The key service is faked (its database and scrypt are the pglite specs' business): a key of the given role.
const keyOf = (role: Role) => ({ authenticate: async () => ({ id: 'k', role }) }) as unknown as ApiKeyService;
const refusals = { refused: () => undefined } as unknown as RefusalAudit;

/** What Nest hands the guard for a request to `handler` of controller `cls`. */
const ctxOf = (cls: object, handler: object): ExecutionContext => ({
  getType: () => 'http',
  getHandler: () => handler,
  getClass: () => cls,
  switchToHttp: () => ({ getRequest: () => ({ headers: { authorization: 'Bearer x' }, ip: '127.0.0.1' }) }),
}) as unknown as ExecutionContext;

class BaseController {
  list(): string[] {
    return [];
  }
}
@Roles('viewer') class OpenReads extends BaseController {}
class AdminOnly extends BaseController {} // no @Roles: admin only

test('a handler shared by two controllers (inherited) is judged by each controller\'s own @Roles, whichever is asked first', async () => {
  const handler = BaseController.prototype.list;
  const guard = new ApiKeyGuard(new Reflector(), keyOf('viewer'), refusals);
  assert.equal(await guard.canActivate(ctxOf(OpenReads, handler)), true);
  await assert.rejects(async () => guard.canActivate(ctxOf(AdminOnly, handler)), /needs admin/);
  const fresh = new ApiKeyGuard(new Reflector(), keyOf('viewer'), refusals);
  await assert.rejects(async () => fresh.canActivate(ctxOf(AdminOnly, handler)), /needs admin/);
  assert.equal(await fresh.canActivate(ctxOf(OpenReads, handler)), true);
});

test('the guard leaves a re-check on the request: it refuses once the key is revoked or its role no longer covers the route', async () => {
  let role: Role | 'revoked' = 'operator';
  const keys = { authenticate: async () => {
    if (role === 'revoked') throw new Error('invalid, expired or revoked API key');
    return { id: 'k', role };
  } } as unknown as ApiKeyService;
  @Roles('operator') class Ops { act(): void {} }
  const req: { headers: Record<string, string>; ip: string; stillAllowed?: () => Promise<void> } = { headers: { authorization: 'Bearer x' }, ip: '127.0.0.1' };
  const ctx = { ...ctxOf(Ops, Ops.prototype.act), switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
  assert.equal(await new ApiKeyGuard(new Reflector(), keys, refusals).canActivate(ctx), true);
  await req.stillAllowed!();
  role = 'viewer';
  await assert.rejects(req.stillAllowed!(), /needs operator/);
  role = 'revoked';
  await assert.rejects(req.stillAllowed!(), /revoked/);
});

test('a key the service answers from memory (synchronously) is judged the same as one it had to look up: admitted, refused by role, refused and audited when invalid', async () => {
  const refusedWhy: string[] = [];
  const audit = { refused: (_who: string, why: string) => refusedWhy.push(why) } as unknown as RefusalAudit;
  const handler = BaseController.prototype.list;
  const sync = (answer: () => { id: string; role: Role }) => ({ authenticate: answer }) as unknown as ApiKeyService;
  assert.equal(new ApiKeyGuard(new Reflector(), sync(() => ({ id: 'k', role: 'viewer' })), audit).canActivate(ctxOf(OpenReads, handler)), true);
  assert.throws(() => new ApiKeyGuard(new Reflector(), sync(() => ({ id: 'k', role: 'viewer' })), audit).canActivate(ctxOf(AdminOnly, handler)), /needs admin/);
  const invalid = sync(() => {
    throw new UnauthorizedError('invalid, expired or revoked API key');
  });
  assert.throws(() => new ApiKeyGuard(new Reflector(), invalid, audit).canActivate(ctxOf(OpenReads, handler)), /revoked/);
  const invalidLater = { authenticate: () => Promise.reject(new UnauthorizedError('invalid, expired or revoked API key')) } as unknown as ApiKeyService;
  await assert.rejects(async () => new ApiKeyGuard(new Reflector(), invalidLater, audit).canActivate(ctxOf(OpenReads, handler)), /revoked/);
  assert.deepEqual(refusedWhy, ['invalid, expired or revoked API key', 'invalid, expired or revoked API key']);
});
