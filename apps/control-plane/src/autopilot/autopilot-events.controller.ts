import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MqttContext } from '@nestjs/microservices';
import { controlPlaneSubscriptions, parseDeviceTopic } from '@edgefleet/contracts';
import { AutopilotScheduler } from './autopilot.scheduler';

/**
 * Second listener on the device topics that change what a class should run: a hello (a device registered or
 * came back, possibly of a new class) and a report (a model activated or was rejected). Nest runs every
 * @EventPattern handler of a topic; the device-message handlers (src/mqtt) store the message, this one only
 * asks the scheduler to reconcile the device's pairs a moment later, so it never touches the payload.
 */
@Controller()
export class AutopilotEventsController {
  constructor(private readonly scheduler: AutopilotScheduler) {}

  @EventPattern(controlPlaneSubscriptions.hello)
  hello(@Ctx() ctx: MqttContext): void {
    this.nudge(ctx);
  }

  @EventPattern(controlPlaneSubscriptions.report)
  report(@Ctx() ctx: MqttContext): void {
    this.nudge(ctx);
  }

  private nudge(ctx: MqttContext): void {
    const where = parseDeviceTopic(ctx.getTopic());
    if (where) this.scheduler.deviceEvent(where.deviceId);
  }
}
