import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '@edgefleet/platform';
import { Roles } from '../auth/roles';
import { mapPage, Page, PageQueryDto } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { ErrorView } from '../openapi/api-error-responses';
import { ApiPageResponse } from '../openapi/page.view';
import {
  CreateSegmentDto, PreviewSegmentDto, SegmentDetailView, SegmentPreviewView, SegmentView, UpdateSegmentDto, toSegmentView,
} from './segment.dto';
import { SegmentsService } from './segment.service';

@ApiController('segments')
@Roles('viewer')
export class SegmentController {
  constructor(private readonly segments: SegmentsService) {}

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'What a selector matches now (count, per class, a sample), without saving anything' })
  @ApiOkResponse({ type: SegmentPreviewView })
  preview(@Body() body: PreviewSegmentDto): Promise<SegmentPreviewView> {
    return this.segments.preview(body.selector);
  }

  @Roles('operator')
  @Post()
  @ApiOperation({ summary: 'Save a device selector (tags, classes, agent versions, active models, ids) for rollouts' })
  @ApiCreatedResponse({ type: SegmentView })
  @ApiConflictResponse({ type: ErrorView, description: 'A segment with this name exists' })
  async create(@Body() body: CreateSegmentDto, @CurrentActor() actor: Actor): Promise<SegmentView> {
    return toSegmentView(await this.segments.create(body, actor));
  }

  @Get()
  @ApiPageResponse(SegmentView)
  async list(@Query() q: PageQueryDto): Promise<Page<SegmentView>> {
    return mapPage(await this.segments.list(q), toSegmentView);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A segment with what it matches now' })
  @ApiOkResponse({ type: SegmentDetailView })
  async get(@Param('id') id: string): Promise<SegmentDetailView> {
    const s = await this.segments.get(id);
    return { ...toSegmentView(s), preview: await this.segments.preview(s.selector) };
  }

  @Roles('operator')
  @Patch(':id')
  @ApiOperation({ summary: 'Rename a segment or replace its selector (running dynamic rollouts keep the selector they started with)' })
  @ApiOkResponse({ type: SegmentView })
  async update(@Param('id') id: string, @Body() body: UpdateSegmentDto, @CurrentActor() actor: Actor): Promise<SegmentView> {
    return toSegmentView(await this.segments.update(id, body, actor));
  }

  @Roles('operator')
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiConflictResponse({ type: ErrorView, description: 'Rollouts refer to the segment' })
  async remove(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.segments.remove(id, actor);
  }
}
