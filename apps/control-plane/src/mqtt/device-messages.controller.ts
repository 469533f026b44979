import { Controller, Optional, UseInterceptors } from '@nestjs/common';
import { Ctx, EventPattern, MqttContext } from '@nestjs/microservices';
import {
  BlockRequestMessage, controlPlaneSubscriptions, DeviceStateMessage, HelloMessage, ProgressMessage, ReportMessage, StatusMessage, TelemetryMessage,
} from '@edgefleet/contracts';
import { InvalidInputError, runWithCorrelationId } from '@edgefleet/platform';
import { DeploymentsService } from '../deployments/deployment.service';
import { DevicesService } from '../devices/device.service';
import { BlockServer } from '../ota/block-server.service';
import { TelemetryIngest } from '../telemetry/telemetry-ingest.service';
import { correlationIdOf, DeviceMessageCorrelation } from './device-message-correlation.interceptor';
import { DeviceMessageRunner, LEFT_UNANSWERED } from './device-message.runner';

/**
 * Device → control plane topics. Each handler is thin: the runner validates the raw payload and handles
 * failures; the handler checks identity and calls the service.
 */
@Controller()
@UseInterceptors(DeviceMessageCorrelation)
export class DeviceMessagesController {
  constructor(
    private readonly runner: DeviceMessageRunner,
    private readonly devices: DevicesService,
    private readonly deployments: DeploymentsService,
    private readonly blocks: BlockServer,
    /** Absent only in the MQTT edge tests, which run MqttModule without the telemetry module. */
    @Optional() private readonly telemetry?: TelemetryIngest,
  ) {}

  @EventPattern(controlPlaneSubscriptions.hello)
  hello(@Ctx() ctx: MqttContext): Promise<void> {
    return this.runner.run(ctx, HelloMessage, async (deviceId, msg) => {
      if (msg.deviceId !== deviceId) {
        throw new InvalidInputError(`hello names device ${JSON.stringify(msg.deviceId)} but was sent on the topic of ${JSON.stringify(deviceId)}`);
      }
      await this.devices.registerFromHello(msg);
      // A device that was offline, or a broker that lost its retained messages, still converges.
      await this.deployments.republishDesired(deviceId);
    });
  }

  @EventPattern(controlPlaneSubscriptions.status)
  status(@Ctx() ctx: MqttContext): Promise<void> {
    return this.runner.run(ctx, StatusMessage, (deviceId, msg) => this.devices.markStatus(deviceId, msg.state));
  }

  @EventPattern(controlPlaneSubscriptions.blockRequest)
  blockRequest(@Ctx() ctx: MqttContext): Promise<void> {
    return this.runner.run(ctx, BlockRequestMessage, (deviceId, msg) => this.blocks.serve(deviceId, msg));
  }

  @EventPattern(controlPlaneSubscriptions.progress)
  progress(@Ctx() ctx: MqttContext): Promise<void> {
    return this.runner.run(ctx, ProgressMessage, (deviceId, msg) => this.deployments.recordProgress(deviceId, msg));
  }

  @EventPattern(controlPlaneSubscriptions.state)
  state(@Ctx() ctx: MqttContext): Promise<void> {
    return this.runner.run(ctx, DeviceStateMessage, (deviceId, msg) => this.deployments.recordDeviceState(deviceId, msg));
  }

  @EventPattern(controlPlaneSubscriptions.report)
  report(@Ctx() ctx: MqttContext): Promise<void> {
    return this.runner.run(ctx, ReportMessage, (deviceId, msg) => this.deployments.recordReport(deviceId, msg));
  }

  /**
   * Windows are stored once by (device, window id), in batches; the runner acks the message's msgId once `accept`
   * says its windows committed, and leaves it unanswered (the device resends) when they were dropped first.
   */
  @EventPattern(controlPlaneSubscriptions.telemetry)
  telemetryBatch(@Ctx() ctx: MqttContext): Promise<void> {
    return this.runner.run(ctx, TelemetryMessage, async (deviceId, msg) => ((await this.telemetry?.accept(deviceId, msg)) === false ? LEFT_UNANSWERED : undefined));
  }

  /**
   * The telemetry handler as DeviceMqttServer calls it past Nest's per-message dispatch (`direct`), under the
   * correlation id the interceptor would give it. Telemetry is the one high-rate topic: Nest's routing, rxjs
   * pipeline and interceptor chain were 12 % of the ingest's CPU (docs/telemetry.md, "Ingest throughput").
   */
  telemetryDirect(ctx: MqttContext): Promise<void> {
    return runWithCorrelationId(correlationIdOf(ctx), () => this.telemetryBatch(ctx));
  }
}
