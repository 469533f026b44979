import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '../audit/audit.types';
import { ApiErrorResponses } from '../openapi/api-error-responses';
import { CreateTargetDto, ListTargetsQueryDto, TargetDetailView, TargetPageView, TargetView, toClassStateView, toTargetView } from './target.dto';
import { TargetsService } from './target.service';
import { Roles } from '../auth/roles';

@ApiTags('targets')
@ApiBearerAuth()
@ApiErrorResponses()
@Roles('viewer')
@Controller('targets')
export class TargetController {
  constructor(private readonly targets: TargetsService) {}

  @Roles('operator')
  @Post()
  @ApiOperation({ summary: 'Create a fleet target: its devices get the most accurate variant that fits its budget, distilled if need be' })
  @ApiCreatedResponse({ type: TargetView })
  async create(@Body() body: CreateTargetDto, @CurrentActor() actor: Actor): Promise<TargetView> {
    return toTargetView(await this.targets.create(body, actor));
  }

  @Get()
  @ApiOkResponse({ type: TargetPageView })
  async list(@Query() q: ListTargetsQueryDto): Promise<TargetPageView> {
    const page = await this.targets.list(q);
    return { ...page, items: page.items.map(toTargetView) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A target with the autopilot\'s state for each device class among its devices' })
  @ApiOkResponse({ type: TargetDetailView })
  async get(@Param('id') id: string): Promise<TargetDetailView> {
    const { target, classes } = await this.targets.get(id);
    return { ...toTargetView(target), classes: classes.map(toClassStateView) };
  }

  @Roles('operator')
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@Param('id') id: string): Promise<void> {
    await this.targets.remove(id);
  }
}
