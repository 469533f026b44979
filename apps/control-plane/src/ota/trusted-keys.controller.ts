import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import { Public } from '../auth/public.decorator';
import { Roles } from '../auth/roles';
import type { Actor } from '@edgefleet/platform';
import { ApiErrorResponses, ErrorView } from '../openapi/api-error-responses';
import { OtaService } from './ota.service';
import { RotateKeysDto, RotateKeysView, TrustedKeySetView } from './trusted-keys.dto';

@ApiTags('signing keys')
@ApiErrorResponses()
@Controller()
export class TrustedKeysController {
  constructor(private readonly ota: OtaService) {}

  @Public()
  @Get('trusted-keys')
  @ApiOperation({ summary: 'The keys desired states are signed with (two during a rotation), signed by each of them; public' })
  @ApiOkResponse({ type: TrustedKeySetView })
  trustedKeys(): Promise<TrustedKeySetView> {
    return this.ota.trustedKeySet();
  }

  @Roles('admin')
  @Post('signing-keys/rotate')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'One step of a signing-key rotation: stage, activate or retire (docs/security.md)' })
  @ApiOkResponse({ type: RotateKeysView })
  @ApiConflictResponse({ type: ErrorView, description: 'Step out of order (e.g. activate with nothing staged)' })
  async rotate(@Body() body: RotateKeysDto, @CurrentActor() actor: Actor): Promise<RotateKeysView> {
    return { keys: await this.ota.rotateKeys(body.step, actor) };
  }
}
