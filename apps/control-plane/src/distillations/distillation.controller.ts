import { Body, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isTerminal } from '@edgefleet/jobs';
import { mapPage, Page } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { ApiPageResponse } from '../openapi/page.view';
import { DistillationsService } from './distillation.service';
import {
  CancelView, CreateDistillationDto, DistillationView, ListDistillationsQueryDto, toDistillationView,
} from '@edgefleet/distillation-worker';
import { Roles } from '../auth/roles';
import { streamChanges } from '../common/sse';

@ApiController('distillations')
@ApiExtraModels(CreateDistillationDto)
@Roles('viewer')
export class DistillationController {
  constructor(private readonly distillations: DistillationsService) {}

  @Roles('operator')
  @Post()
  @ApiOperation({ summary: 'Queue a distillation job (a worker claims it; results become model artifacts of a family)' })
  @ApiBody({ schema: { allOf: [{ $ref: getSchemaPath(CreateDistillationDto) }], not: { anyOf: [{ required: ['students', 'targetBudget'] }, { required: ['teacherArtifactId', 'teacherArch'] }] } }, description: 'students or targetBudget, teacherArtifactId or teacherArch: not both' })
  @ApiCreatedResponse({ type: DistillationView })
  async create(@Body() dto: CreateDistillationDto): Promise<DistillationView> {
    return toDistillationView(await this.distillations.create(dto));
  }

  @Get()
  @ApiPageResponse(DistillationView)
  async list(@Query() q: ListDistillationsQueryDto): Promise<Page<DistillationView>> {
    return mapPage(await this.distillations.list(q, q.status), toDistillationView);
  }

  @Get(':id')
  @ApiOkResponse({ type: DistillationView })
  async get(@Param('id') id: string): Promise<DistillationView> {
    return toDistillationView(await this.distillations.get(id));
  }

  @Roles('operator')
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel: a queued job at once, a running one at its next heartbeat (its worker aborts the run)' })
  @ApiOkResponse({ type: CancelView })
  async cancel(@Param('id') id: string): Promise<CancelView> {
    const r = await this.distillations.cancel(id);
    return { outcome: r.outcome, job: toDistillationView(r.job) };
  }

  @Get(':id/events')
  @ApiOperation({ summary: 'Server-sent events: `progress` with the job view whenever it changes, then `end` when it finished' })
  @ApiProduces('text/event-stream')
  async events(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await streamChanges(req, reply, { read: () => this.distillations.get(id), view: toDistillationView, isFinal: (job) => isTerminal(job.status) });
  }
}
