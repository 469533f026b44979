import { Body, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '@edgefleet/platform';
import { Roles } from '../auth/roles';
import { mapPage, Page } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { streamChanges } from '../common/sse';
import { ErrorView } from '../openapi/api-error-responses';
import { ApiPageResponse } from '../openapi/page.view';
import {
  ClassHealthView, CreateRolloutDto, WaveDto, ListRolloutsQueryDto, RolloutActionDto, RolloutDetailView, RolloutTelemetryQueryDto, RolloutTelemetryView, RolloutView,
  toRolloutDetailView, toRolloutView,
} from './rollout.dto';
import { RolloutsService, type OperatorAction } from './rollout.service';
import { isFinal, type RolloutPlan } from './rollout.types';

@ApiController('rollouts')
@ApiExtraModels(ClassHealthView, WaveDto)
@Roles('viewer')
export class RolloutController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Roles('operator')
  @Post()
  @ApiOperation({ summary: 'Roll a model out to a segment in waves, paced, judged per class on the devices\' own reports, stopped or rolled back on bad health' })
  @ApiCreatedResponse({ type: RolloutView })
  @ApiUnprocessableEntityResponse({ type: ErrorView, description: 'Unknown segment or model, an empty frozen segment, or retries.timedOut without inProgressTimeoutMin' })
  async create(@Body() b: CreateRolloutDto, @CurrentActor() actor: Actor): Promise<RolloutView> {
    const plan: RolloutPlan = JSON.parse(JSON.stringify({
      waves: b.waves ?? [{ percent: 100 }], gates: b.gates ?? {}, rate: b.rate, abort: b.abort, retries: b.retries, inProgressTimeoutMin: b.inProgressTimeoutMin, window: b.window, stage: b.stage,
    })) as RolloutPlan;
    const what = b.what.artifactId !== undefined ? { artifactId: b.what.artifactId } : { family: b.what.family!, ...(b.what.budget ? { budget: { ...b.what.budget } } : {}) };
    const created = await this.rollouts.create({
      name: b.name, segmentId: b.segmentId, segmentMode: b.segmentMode ?? 'frozen', what, plan, ...(b.startAt ? { startAt: new Date(b.startAt) } : {}),
    }, actor);
    this.rollouts.onChange();
    return toRolloutView(created);
  }

  @Get()
  @ApiPageResponse(RolloutView)
  async list(@Query() q: ListRolloutsQueryDto): Promise<Page<RolloutView>> {
    return mapPage(await this.rollouts.list({ state: q.state }, q), toRolloutView);
  }

  @Get(':id')
  @ApiOperation({ summary: 'State, current wave, counts per wave and class, the health numbers and every decision with its reason' })
  @ApiOkResponse({ type: RolloutDetailView })
  async get(@Param('id') id: string): Promise<RolloutDetailView> {
    return toRolloutDetailView(await this.rollouts.detail(id));
  }

  @Get(':id/events')
  @ApiOperation({ summary: 'Server-sent events: `progress` with the rollout detail whenever it changes, then `end` when it is final' })
  @ApiProduces('text/event-stream')
  async events(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await streamChanges(req, reply, { read: () => this.rollouts.detail(id), watch: (signal) => this.rollouts.watch(id, signal), view: toRolloutDetailView, isFinal: (d) => isFinal(d.rollout.state) });
  }

  @Get(':id/telemetry')
  @ApiOperation({ summary: 'Telemetry of the devices the rollout notified, per model: the new model(s) beside the one(s) they ran before, ready to plot' })
  @ApiOkResponse({ type: RolloutTelemetryView })
  async telemetry(@Param('id') id: string, @Query() q: RolloutTelemetryQueryDto): Promise<RolloutTelemetryView> {
    return this.rollouts.telemetry(id, q.resolution, new Date(q.from), new Date(q.to));
  }

  @Roles('operator') @Post(':id/pause') @HttpCode(200)
  @ApiOperation({ summary: 'Pause: no device is notified until resumed (those notified go on installing)' })
  @ApiOkResponse({ type: RolloutView }) @ApiConflictResponse({ type: ErrorView, description: 'Not allowed in its state' })
  pause(@Param('id') id: string, @Body() b: RolloutActionDto, @CurrentActor() actor: Actor) { return this.act(id, 'pause', actor, b); }

  @Roles('operator') @Post(':id/resume') @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused rollout (pacing restarts now)' })
  @ApiOkResponse({ type: RolloutView }) @ApiConflictResponse({ type: ErrorView, description: 'Not allowed in its state' })
  resume(@Param('id') id: string, @Body() b: RolloutActionDto, @CurrentActor() actor: Actor) { return this.act(id, 'resume', actor, b); }

  @Roles('operator') @Post(':id/approve') @HttpCode(200)
  @ApiOperation({ summary: 'Approve the next wave of a rollout awaiting approval' })
  @ApiOkResponse({ type: RolloutView }) @ApiConflictResponse({ type: ErrorView, description: 'Not allowed in its state' })
  approve(@Param('id') id: string, @Body() b: RolloutActionDto, @CurrentActor() actor: Actor) { return this.act(id, 'approve', actor, b); }

  @Roles('operator') @Post(':id/cancel') @HttpCode(200)
  @ApiOperation({ summary: 'Cancel: no further device is notified; devices already notified keep the model they install' })
  @ApiOkResponse({ type: RolloutView }) @ApiConflictResponse({ type: ErrorView, description: 'Not allowed in its state' })
  cancel(@Param('id') id: string, @Body() b: RolloutActionDto, @CurrentActor() actor: Actor) { return this.act(id, 'cancel', actor, b); }

  @Roles('operator') @Post(':id/rollback') @HttpCode(200)
  @ApiOperation({ summary: 'Roll back: every device the rollout notified gets a new desired state with the model it ran before' })
  @ApiOkResponse({ type: RolloutView }) @ApiConflictResponse({ type: ErrorView, description: 'Not allowed in its state' })
  rollback(@Param('id') id: string, @Body() b: RolloutActionDto, @CurrentActor() actor: Actor) { return this.act(id, 'rollback', actor, b); }

  private async act(id: string, action: OperatorAction, actor: Actor, b: RolloutActionDto): Promise<RolloutView> {
    return toRolloutView(await this.rollouts.act(id, action, actor, b?.note));
  }
}
