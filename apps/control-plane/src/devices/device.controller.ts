import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '../audit/audit.types';
import { ApiErrorResponses } from '../openapi/api-error-responses';
import { ReportPageView, toReportView } from '../reports/report.dto';
import { DevicesService } from './device.service';
import {
  CreateDeviceDto, DevicePageView, DeviceView, ListDevicesQueryDto, ReportQueryDto, toDeviceView, UpdateDeviceDto,
} from './device.dto';
import { Roles } from '../auth/roles';

@ApiTags('devices')
@ApiBearerAuth()
@ApiErrorResponses()
@Roles('viewer')
@Controller('devices')
export class DeviceController {
  constructor(private readonly devices: DevicesService) {}

  @Roles('operator')
  @Post()
  @ApiOperation({ summary: 'Register a device with its hardware profile' })
  @ApiCreatedResponse({ type: DeviceView })
  async create(@Body() body: CreateDeviceDto, @CurrentActor() actor: Actor): Promise<DeviceView> {
    return toDeviceView(await this.devices.create(body, actor));
  }

  @Get()
  @ApiOperation({ summary: 'List devices, optionally by tag, status or hardware class' })
  @ApiOkResponse({ type: DevicePageView })
  async list(@Query() q: ListDevicesQueryDto): Promise<DevicePageView> {
    const page = await this.devices.list({ tag: q.tag, status: q.status, profileClass: q.profileClass }, q);
    return { ...page, items: page.items.map(toDeviceView) };
  }

  @Get(':id')
  @ApiOkResponse({ type: DeviceView })
  async get(@Param('id') id: string): Promise<DeviceView> {
    return toDeviceView(await this.devices.get(id));
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
  @ApiOperation({ summary: 'Forget a device, its deployment rows and its reports' })
  @ApiNoContentResponse()
  async remove(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.devices.remove(id, actor);
  }

  @Get(':id/reports')
  @ApiOperation({ summary: 'Benchmark reports the device sent, newest first' })
  @ApiOkResponse({ type: ReportPageView })
  async reports(@Param('id') id: string, @Query() q: ReportQueryDto): Promise<ReportPageView> {
    const page = await this.devices.listReports(id, q);
    return { ...page, items: page.items.map(toReportView) };
  }
}
