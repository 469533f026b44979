import { Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import { ApiController } from '../openapi/api-controller.decorator';
import { HealthService } from './health.service';

class HealthView {
  @ApiProperty({ example: 'ok' }) status!: 'ok';
  @ApiProperty({ enum: ['pglite', 'postgres'] }) database!: string;
  @ApiProperty() uptimeSeconds!: number;
}

@ApiController('health', { public: true })
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness and readiness: 200 once start-up is complete and while the database answers, 503 otherwise (no API key needed)' })
  @ApiOkResponse({ type: HealthView })
  @ApiServiceUnavailableResponse()
  async check(): Promise<HealthView> {
    const result = await this.health.check();
    if (!result.ok) throw new ServiceUnavailableException(result.reason);
    return { status: 'ok', database: result.database, uptimeSeconds: result.uptimeSeconds };
  }
}
