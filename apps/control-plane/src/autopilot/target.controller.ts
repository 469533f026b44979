import { Body, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '@edgefleet/platform';
import { Page, mapPage } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { ApiPageResponse } from '../openapi/page.view';
import { CreateTargetDto, ListTargetsQueryDto, TargetDetailView, TargetView, toClassStateView, toTargetView } from './target.dto';
import { TargetsService } from './target.service';
import { Roles } from '../auth/roles';

@ApiController('targets')
@Roles('viewer')
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
  @ApiPageResponse(TargetView)
  async list(@Query() q: ListTargetsQueryDto): Promise<Page<TargetView>> {
    return mapPage(await this.targets.list(q), toTargetView);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A target with the autopilot\'s state for each device class among its devices' })
  @ApiOkResponse({ type: TargetDetailView })
  async get(@Param('id') id: string): Promise<TargetDetailView> {
    const { target, classes } = await this.targets.get(id);
    return { ...toTargetView(target), classes: classes.map(toClassStateView) };
  }

  @Roles('operator')
  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause the autopilot for this target: it deploys and distils nothing for it until resumed' })
  @ApiOkResponse({ type: TargetView })
  async pause(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<TargetView> {
    return toTargetView(await this.targets.pause(id, actor));
  }

  @Roles('operator')
  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume the autopilot for this target (its classes are reconciled at once)' })
  @ApiOkResponse({ type: TargetView })
  async resume(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<TargetView> {
    return toTargetView(await this.targets.resume(id, actor));
  }

  @Roles('operator')
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@Param('id') id: string): Promise<void> {
    await this.targets.remove(id);
  }
}
