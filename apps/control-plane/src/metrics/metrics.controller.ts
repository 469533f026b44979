import { Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import { Roles } from '../auth/roles';
import { ApiController } from '../openapi/api-controller.decorator';
import { FleetMetrics } from './fleet-metrics';

/** `/metrics` (outside /api/v1, as Prometheus expects): the text exposition format, for a viewer key (closed by default). */
@ApiController('metrics')
@Roles('viewer')
export class MetricsController {
  constructor(private readonly metrics: FleetMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics of this control plane and fleet-level series (scrape with a viewer API key as bearer token)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4', type: String })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
