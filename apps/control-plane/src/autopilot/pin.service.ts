import { Injectable } from '@nestjs/common';
import { AuditRepository, NotFoundError } from '@edgefleet/platform';
import type { Page, Actor } from '@edgefleet/platform';
import { AutopilotRepository } from './autopilot.repository';
import { AutopilotScheduler } from './autopilot.scheduler';
import type { PinRecord } from './autopilot.types';

/**
 * Devices an operator holds: the autopilot deploys nothing to a pinned device, whichever target selects it (a manual
 * deployment stays). Unpinning hands it back, and its classes are reconciled at once.
 */
@Injectable()
export class PinsService {
  constructor(private readonly repo: AutopilotRepository, private readonly scheduler: AutopilotScheduler, private readonly audit: AuditRepository) {}

  async pin(deviceId: string, reason: string | undefined, actor: Actor): Promise<PinRecord> {
    const pin = await this.repo.pin(deviceId, actor, reason ?? null);
    if (!pin) throw new NotFoundError('device', deviceId);
    await this.audit.record({ actor, action: 'device.pin', entityType: 'device', entityId: deviceId, details: { reason: pin.reason } });
    return pin;
  }

  async unpin(deviceId: string, actor: Actor): Promise<void> {
    if (!(await this.repo.unpin(deviceId))) throw new NotFoundError('pin', deviceId);
    await this.audit.record({ actor, action: 'device.unpin', entityType: 'device', entityId: deviceId });
    this.scheduler.deviceReported(deviceId);
  }

  async list(page: { limit: number; offset: number }): Promise<Page<PinRecord>> {
    return { ...(await this.repo.listPins(page)), ...page };
  }
}
