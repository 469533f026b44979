import { Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Roles } from '../auth/roles';
import { InvalidInputError } from '@edgefleet/platform';
import type { Page } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { ApiPageResponse } from '../openapi/page.view';
import { DriftItemView, DriftQueryDto, SeriesQueryDto, SeriesView } from './telemetry.dto';
import { seriesRangeProblem, TelemetryQuery } from './telemetry-query.service';

@ApiController('telemetry')
@Roles('viewer')
export class TelemetryController {
  constructor(private readonly query: TelemetryQuery) {}

  @Get('series')
  @ApiOperation({ summary: 'Inferences, errors, latency p50/p95 and mean top probability over time, for the fleet or one device, class or model' })
  @ApiOkResponse({ type: SeriesView })
  async series(@Query() q: SeriesQueryDto): Promise<SeriesView> {
    const from = new Date(q.from);
    const to = new Date(q.to);
    const problem = seriesRangeProblem(q.resolution, from, to);
    if (problem) throw new InvalidInputError(problem);
    const points = await this.query.series(q.resolution, from, to, { deviceId: q.deviceId, profileClass: q.profileClass, modelId: q.modelId });
    return { resolution: q.resolution, points };
  }

  @Get('drift')
  @ApiOperation({ summary: 'Per model and hardware class: PSI of the recent class distribution against the model\'s eval set, and whether it drifted' })
  @ApiPageResponse(DriftItemView)
  async drift(@Query() q: DriftQueryDto): Promise<Page<DriftItemView>> {
    const all = await this.query.drift({ deviceId: q.deviceId, profileClass: q.profileClass, modelId: q.modelId });
    return { items: all.slice(q.offset, q.offset + q.limit), total: all.length, limit: q.limit, offset: q.offset };
  }
}
