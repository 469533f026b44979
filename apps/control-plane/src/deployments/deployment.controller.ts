import { Body, Get, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '@edgefleet/platform';
import { mapPage, Page } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { ErrorView } from '../openapi/api-error-responses';
import { ApiPageResponse } from '../openapi/page.view';
import { DeploymentsService } from './deployment.service';
import {
  CreateDeploymentDto, DeploymentDetailView, DeploymentView, ListDeploymentsQueryDto, toDeploymentDetailView, toDeploymentView,
} from './deployment.dto';
import { Roles } from '../auth/roles';

@ApiController('deployments')
@Roles('viewer')
export class DeploymentController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Roles('operator')
  @Post()
  @ApiOperation({ summary: 'Deploy a model to devices (by id and/or tag); each gets a signed desired state over MQTT' })
  @ApiCreatedResponse({ type: DeploymentDetailView })
  @ApiUnprocessableEntityResponse({ type: ErrorView, description: 'No device matches, or unknown device ids' })
  async create(@Body() body: CreateDeploymentDto, @CurrentActor() actor: Actor): Promise<DeploymentDetailView> {
    return toDeploymentDetailView(await this.deployments.create(body, actor));
  }

  @Get()
  @ApiPageResponse(DeploymentView)
  async list(@Query() q: ListDeploymentsQueryDto): Promise<Page<DeploymentView>> {
    return mapPage(await this.deployments.list({ status: q.status }, q), toDeploymentView);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A deployment with every device\'s state and benchmark report' })
  @ApiOkResponse({ type: DeploymentDetailView })
  async get(@Param('id') id: string): Promise<DeploymentDetailView> {
    return toDeploymentDetailView(await this.deployments.get(id));
  }
}
