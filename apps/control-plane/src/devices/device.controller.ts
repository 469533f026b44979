import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '@edgefleet/platform';
import { mapPage, Page, sharedView } from '@edgefleet/platform';
import { ApiController } from '../openapi/api-controller.decorator';
import { ApiPageResponse } from '../openapi/page.view';
import { ReportView, toReportView } from '../reports/report.dto';
import { DevicesService } from './device.service';
import {
  CreateDeviceDto, CreatedDeviceView, DeviceCredentialView, DeviceView, ListDevicesQueryDto, ReportQueryDto, toDeviceView, UpdateDeviceDto,
} from './device.dto';
import { Roles } from '../auth/roles';

@ApiController('devices')
@Roles('viewer')
export class DeviceController {
  constructor(private readonly devices: DevicesService) {}

  @Roles('operator')
  @Post()
  @ApiOperation({ summary: 'Register a device with its hardware profile' })
  @ApiCreatedResponse({ type: CreatedDeviceView })
  async create(@Body() body: CreateDeviceDto, @CurrentActor() actor: Actor): Promise<CreatedDeviceView> {
    const { device, credential } = await this.devices.create(body, actor);
    return { ...toDeviceView(device), credential };
  }

  @Post(':id/credential')
  @ApiOperation({ summary: 'Rotate the device\'s MQTT credential: the old one stops working, the device is disconnected; the new one is shown once' })
  @ApiCreatedResponse({ type: DeviceCredentialView })
  rotateCredential(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<DeviceCredentialView> {
    return this.devices.rotateCredential(id, actor);
  }

  @Get()
  @ApiOperation({ summary: 'List devices, optionally by tag, status or hardware class' })
  @ApiPageResponse(DeviceView)
  async list(@Query() q: ListDevicesQueryDto): Promise<Page<DeviceView>> {
    return mapPage(await this.devices.list({ tag: q.tag, status: q.status, profileClass: q.profileClass }, q), toDeviceView);
  }

  @Get(':id')
  @ApiOkResponse({ type: DeviceView })
  async get(@Param('id') id: string): Promise<DeviceView> {
    return sharedView(await this.devices.get(id), toDeviceView);
  }

  @Roles('operator')
  @Patch(':id')
  @ApiOperation({ summary: 'Change name, tags (replaced) or profile' })
  @ApiOkResponse({ type: DeviceView })
  async update(@Param('id') id: string, @Body() body: UpdateDeviceDto, @CurrentActor() actor: Actor): Promise<DeviceView> {
    return toDeviceView(await this.devices.update(id, body, actor));
  }

  @Roles('operator')
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Forget (revoke) a device: its credential, deployment rows and reports; its MQTT session is closed at once' })
  @ApiNoContentResponse()
  async remove(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.devices.remove(id, actor);
  }

  @Get(':id/reports')
  @ApiOperation({ summary: 'Benchmark reports the device sent, newest first' })
  @ApiPageResponse(ReportView)
  async reports(@Param('id') id: string, @Query() q: ReportQueryDto): Promise<Page<ReportView>> {
    return mapPage(await this.devices.listReports(id, q), toReportView);
  }
}
