import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { FleetEventMap } from '@edgefleet/platform';
import { AutopilotScheduler } from './autopilot.scheduler';

/**
 * The fleet events that can change what a class should run, turned into work for the scheduler. Emitted after
 * their transaction committed, so the reconcile that follows reads what the event describes.
 */
@Injectable()
export class AutopilotListener {
  constructor(private readonly scheduler: AutopilotScheduler) {}

  @OnEvent('device.changed')
  deviceChanged(e: FleetEventMap['device.changed']): void {
    this.scheduler.deviceChanged(e);
  }

  @OnEvent('device.reported')
  deviceReported(e: FleetEventMap['device.reported']): void {
    this.scheduler.deviceReported(e.deviceId);
  }

  @OnEvent('models.published')
  modelsPublished(e: FleetEventMap['models.published']): void {
    this.scheduler.modelsPublished(e.family);
  }
}
