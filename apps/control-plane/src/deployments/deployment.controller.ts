import { Body, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, getSchemaPath, ApiOperation, ApiProduces, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '@edgefleet/platform';
import { mapPage, Page, sharedView } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { ErrorView } from '../openapi/api-error-responses';
import { ApiPageResponse } from '../openapi/page.view';
import { DeploymentsService } from './deployment.service';
import {
  CreateDeploymentDto, DeploymentCancelView, DeploymentDetailView, DeploymentView, ListDeploymentsQueryDto, toDeploymentDetailView, toDeploymentView,
} from './deployment.dto';
import { Roles } from '../auth/roles';
import { streamChanges } from '../common/sse';

@ApiController('deployments')
@ApiExtraModels(CreateDeploymentDto)
@Roles('viewer')
export class DeploymentController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Roles('operator')
  @Post()
  @ApiOperation({ summary: 'Deploy a model to devices (by id and/or tag); each gets a signed desired state over MQTT' })
  @ApiBody({ schema: { allOf: [{ $ref: getSchemaPath(CreateDeploymentDto) }], anyOf: [{ required: ['deviceIds'] }, { required: ['tags'] }] }, description: 'deviceIds and/or tags' })
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
    return sharedView(await this.deployments.get(id), toDeploymentDetailView);
  }

  @Roles('operator')
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a deployment in progress: devices that have not activated it stop, and every device goes back to the model it ran before' })
  @ApiOkResponse({ type: DeploymentCancelView })
  @ApiConflictResponse({ type: ErrorView, description: 'Not in progress, or made by a rollout (cancel or roll back the rollout)' })
  async cancel(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<DeploymentCancelView> {
    const r = await this.deployments.cancel(id, actor);
    return { deployment: toDeploymentDetailView(r.deployment), reverts: r.reverts.map(toDeploymentDetailView) };
  }

  @Get(':id/events')
  @ApiOperation({ summary: 'Server-sent events: `progress` with the deployment (as GET :id) whenever it changes, then `end` once it is no longer in progress' })
  @ApiProduces('text/event-stream')
  async events(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await streamChanges(req, reply, { read: () => this.deployments.get(id), view: toDeploymentDetailView, isFinal: (d) => d.status !== 'in_progress' });
  }
}
