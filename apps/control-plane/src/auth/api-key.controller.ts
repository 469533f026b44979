import { Body, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/platform';
import { mapPage, Page } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { ApiPageResponse } from '../openapi/page.view';
import { CurrentActor, type AuthenticatedRequest } from './actor.decorator';
import { ApiKeyService } from './api-key.service';
import { ApiKeyView, CallerView, CreateApiKeyDto, CreatedApiKeyView, ListApiKeysQueryDto, toApiKeyView } from './api-key.dto';
import { Roles } from './roles';

@ApiController('api-keys')
@Roles('admin')
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key with a role (and optional expiry); the key is shown only in this answer' })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  async create(@Body() body: CreateApiKeyDto, @CurrentActor() actor: Actor): Promise<CreatedApiKeyView> {
    const { key, record } = await this.keys.create(body, actor);
    return { ...toApiKeyView(record), key };
  }

  /** Any key may ask what it is: the dashboard shows operator controls only to roles that may use them. */
  @Get('me')
  @Roles('viewer', 'enroller')
  @ApiOperation({ summary: 'The calling key: its id and role (what the dashboard needs to offer only the actions the key may take)' })
  @ApiOkResponse({ type: CallerView })
  me(@Req() req: AuthenticatedRequest): CallerView {
    const k = req.apiKey!;
    return { id: k.id, role: k.role, expiresAt: k.expiresAt?.toISOString() ?? null };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (prefix, role, created, expires, last used — never the key)' })
  @ApiPageResponse(ApiKeyView)
  async list(@Query() q: ListApiKeysQueryDto): Promise<Page<ApiKeyView>> {
    const page = await this.keys.list(q, q.revoked === 'true');
    return mapPage(page, toApiKeyView);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key (at once on this control plane, within API_KEY_RECHECK_MS on others)' })
  @ApiNoContentResponse()
  async revoke(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.keys.revoke(id, actor);
  }
}
