import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '../audit/audit.types';
import { ApiErrorResponses } from '../openapi/api-error-responses';
import { ListPinsQueryDto, PinDeviceDto, PinPageView, PinView, toPinView } from './pin.dto';
import { PinsService } from './pin.service';

@ApiTags('targets')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('pins')
export class PinController {
  constructor(private readonly pins: PinsService) {}

  @Put(':deviceId')
  @ApiOperation({ summary: 'Pin a device: the autopilot leaves it alone (deploys nothing to it) until it is unpinned' })
  @ApiOkResponse({ type: PinView })
  async pin(@Param('deviceId') deviceId: string, @Body() body: PinDeviceDto, @CurrentActor() actor: Actor): Promise<PinView> {
    return toPinView(await this.pins.pin(deviceId, body.reason, actor));
  }

  @Delete(':deviceId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unpin a device: the autopilot reconciles its classes at once' })
  @ApiNoContentResponse()
  async unpin(@Param('deviceId') deviceId: string): Promise<void> {
    await this.pins.unpin(deviceId);
  }

  @Get()
  @ApiOkResponse({ type: PinPageView })
  async list(@Query() q: ListPinsQueryDto): Promise<PinPageView> {
    const page = await this.pins.list(q);
    return { ...page, items: page.items.map(toPinView) };
  }
}
