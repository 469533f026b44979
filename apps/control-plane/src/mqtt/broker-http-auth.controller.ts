import { Body, CanActivate, Controller, ExecutionContext, HttpCode, Injectable, Post, UnauthorizedException, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { BrokerAuthnDto, BrokerAuthResultView, BrokerAuthzDto } from './broker-http-auth.dto';
import { BrokerHttpAuthService } from './broker-http-auth.service';

/** Path of the broker's endpoints, below the API prefix (the REST rate limit does not apply to them). */
export const BROKER_AUTH_PATH = 'broker-auth';
/** The header carrying BROKER_AUTH_SECRET (EMQX: `headers` of the authenticator and the authorizer). */
export const BROKER_AUTH_HEADER = 'x-edgefleet-broker-secret';

/** Runs before validation: a caller without the secret learns nothing, not even what a valid body is. */
@Injectable()
class BrokerSecretGuard implements CanActivate {
  constructor(private readonly auth: BrokerHttpAuthService) {}

  canActivate(ctx: ExecutionContext): boolean {
    const given = ctx.switchToHttp().getRequest<FastifyRequest>().headers[BROKER_AUTH_HEADER];
    if (!this.auth.brokerIsTrusted(typeof given === 'string' ? given : undefined)) {
      throw new UnauthorizedException(`${BROKER_AUTH_HEADER} missing or wrong (or BROKER_AUTH_SECRET not set)`);
    }
    return true;
  }
}

/**
 * EMQX's HTTP authenticator and HTTP authorizer call these (docs/security.md, "EMQX"). Not an API-key route:
 * the caller is the broker, authenticated by the shared secret BROKER_AUTH_SECRET in BROKER_AUTH_HEADER.
 * Closed by default: without BROKER_AUTH_SECRET every call is 401 (which EMQX reads as "ignore", so a chain
 * with `no_match = deny` refuses). A refused login or topic is `200 {"result":"deny"}`.
 */
@ApiTags('broker')
@ApiHeader({ name: BROKER_AUTH_HEADER, required: true, description: 'BROKER_AUTH_SECRET' })
@Controller(BROKER_AUTH_PATH)
@Public()
@UseGuards(BrokerSecretGuard)
export class BrokerHttpAuthController {
  constructor(private readonly auth: BrokerHttpAuthService) {}

  @Post('authenticate')
  @HttpCode(200)
  @ApiOperation({ summary: 'EMQX HTTP authenticator: may this client id / username / password log in?' })
  @ApiOkResponse({ type: BrokerAuthResultView })
  async authenticate(@Body() body: BrokerAuthnDto): Promise<BrokerAuthResultView> {
    const who = await this.auth.authenticate(body.clientid, body.username, body.password);
    return { result: who ? 'allow' : 'deny', is_superuser: false };
  }

  @Post('authorize')
  @HttpCode(200)
  @ApiOperation({ summary: 'EMQX HTTP authorizer: may this logged-in client publish on / subscribe to this topic?' })
  @ApiOkResponse({ type: BrokerAuthResultView })
  async authorize(@Body() body: BrokerAuthzDto): Promise<BrokerAuthResultView> {
    return { result: (await this.auth.authorize(body.clientid, body.username, body.action, body.topic)) ? 'allow' : 'deny' };
  }

}
