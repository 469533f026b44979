import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../audit/audit.types';
import { ApiErrorResponses } from '../openapi/api-error-responses';
import { CurrentActor } from './actor.decorator';
import { ApiKeyService } from './api-key.service';
import { ApiKeyPageView, CreateApiKeyDto, CreatedApiKeyView, ListApiKeysQueryDto, toApiKeyView } from './api-key.dto';
import { Roles } from './roles';

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiErrorResponses()
@Roles('admin')
@Controller('api-keys')
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key with a role (and optional expiry); the key is shown only in this answer' })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  async create(@Body() body: CreateApiKeyDto, @CurrentActor() actor: Actor): Promise<CreatedApiKeyView> {
    const { key, record } = await this.keys.create(body, actor);
    return { ...toApiKeyView(record), key };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (prefix, role, created, expires, last used — never the key)' })
  @ApiOkResponse({ type: ApiKeyPageView })
  async list(@Query() q: ListApiKeysQueryDto): Promise<ApiKeyPageView> {
    const page = await this.keys.list(q, q.revoked === 'true');
    return { ...page, items: page.items.map(toApiKeyView) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key (at once on this control plane, within API_KEY_RECHECK_MS on others)' })
  @ApiNoContentResponse()
  async revoke(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.keys.revoke(id, actor);
  }
}
