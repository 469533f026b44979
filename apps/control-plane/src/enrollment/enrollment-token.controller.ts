import { Body, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '@edgefleet/platform';
import { Roles } from '../auth/roles';
import { ApiController } from '../openapi/api-controller.decorator';
import { CreatedEnrollmentTokenView, CreateEnrollmentTokenDto, EnrollmentTokenView, toEnrollmentTokenView } from './enrollment.dto';
import { EnrollmentService } from './enrollment.service';

@ApiController('enrollment-tokens', { tag: 'enrollment' })
@Roles('operator')
export class EnrollmentTokenController {
  constructor(private readonly enrollment: EnrollmentService) {}

  @Roles('enroller')
  @Post()
  @ApiOperation({ summary: 'Create an enrollment token (shown once) that devices present to POST /enroll' })
  @ApiCreatedResponse({ type: CreatedEnrollmentTokenView })
  async create(@Body() body: CreateEnrollmentTokenDto, @CurrentActor() actor: Actor): Promise<CreatedEnrollmentTokenView> {
    const { record, token } = await this.enrollment.createToken(body, actor);
    return { ...toEnrollmentTokenView(record), token };
  }

  @Get()
  @ApiOperation({ summary: 'List enrollment tokens (without their secrets)' })
  @ApiOkResponse({ type: [EnrollmentTokenView] })
  async list(): Promise<EnrollmentTokenView[]> {
    return (await this.enrollment.listTokens()).map(toEnrollmentTokenView);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token: it enrolls nobody from now on (devices already enrolled keep their credentials)' })
  @ApiNoContentResponse()
  async revoke(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.enrollment.revokeToken(id, actor);
  }
}
