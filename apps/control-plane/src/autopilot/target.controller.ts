import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '../audit/audit.types';
import { ApiErrorResponses } from '../openapi/api-error-responses';
import { CreateTargetDto, ListTargetsQueryDto, TargetDetailView, TargetPageView, TargetView, toClassStateView, toTargetView } from './target.dto';
import { TargetsService } from './target.service';

@ApiTags('targets')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('targets')
export class TargetController {
  constructor(private readonly targets: TargetsService) {}

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

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause the autopilot for this target: it deploys and distils nothing for it until resumed' })
  @ApiOkResponse({ type: TargetView })
  async pause(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<TargetView> {
    return toTargetView(await this.targets.pause(id, actor));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume the autopilot for this target (its classes are reconciled at once)' })
  @ApiOkResponse({ type: TargetView })
  async resume(@Param('id') id: string): Promise<TargetView> {
    return toTargetView(await this.targets.resume(id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@Param('id') id: string): Promise<void> {
    await this.targets.remove(id);
  }
}
