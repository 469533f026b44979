import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '../audit/audit.types';
import { ApiErrorResponses, ErrorView } from '../openapi/api-error-responses';
import { DeploymentsService } from './deployment.service';
import {
  CreateDeploymentDto, DeploymentDetailView, DeploymentPageView, ListDeploymentsQueryDto, toDeploymentDetailView, toDeploymentView,
} from './deployment.dto';
import { Roles } from '../auth/roles';

@ApiTags('deployments')
@ApiBearerAuth()
@ApiErrorResponses()
@Roles('viewer')
@Controller('deployments')
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
  @ApiOkResponse({ type: DeploymentPageView })
  async list(@Query() q: ListDeploymentsQueryDto): Promise<DeploymentPageView> {
    const page = await this.deployments.list({ status: q.status }, q);
    return { ...page, items: page.items.map(toDeploymentView) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A deployment with every device\'s state and benchmark report' })
  @ApiOkResponse({ type: DeploymentDetailView })
  async get(@Param('id') id: string): Promise<DeploymentDetailView> {
    return toDeploymentDetailView(await this.deployments.get(id));
  }
}
