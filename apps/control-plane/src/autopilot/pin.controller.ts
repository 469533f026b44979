import { Body, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '@edgefleet/platform';
import { Roles } from '../auth/roles';
import { ApiController } from '../openapi/api-controller.decorator';
import { ApiPageResponse } from '../openapi/page.view';
import { mapPage, Page } from '@edgefleet/platform';
import { ListPinsQueryDto, PinDeviceDto, PinView, toPinView } from './pin.dto';
import { PinsService } from './pin.service';

@ApiController('pins', { tag: 'targets' })
@Roles('viewer')
export class PinController {
  constructor(private readonly pins: PinsService) {}

  @Roles('operator')
  @Put(':deviceId')
  @ApiOperation({ summary: 'Pin a device: the autopilot leaves it alone (deploys nothing to it) until it is unpinned' })
  @ApiOkResponse({ type: PinView })
  async pin(@Param('deviceId') deviceId: string, @Body() body: PinDeviceDto, @CurrentActor() actor: Actor): Promise<PinView> {
    return toPinView(await this.pins.pin(deviceId, body.reason, actor));
  }

  @Roles('operator')
  @Delete(':deviceId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unpin a device: the autopilot reconciles its classes at once' })
  @ApiNoContentResponse()
  async unpin(@Param('deviceId') deviceId: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.pins.unpin(deviceId, actor);
  }

  @Get()
  @ApiPageResponse(PinView)
  async list(@Query() q: ListPinsQueryDto): Promise<Page<PinView>> {
    const page = await this.pins.list(q);
    return mapPage(page, toPinView);
  }
}
