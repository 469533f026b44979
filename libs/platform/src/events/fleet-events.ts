import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';

/**
 * Domain events of the fleet, emitted by the owning service after its transaction committed, so a listener
 * reads what the event describes (no timer ordering it behind the writer). In-process only: another control
 * plane on the same database does not hear them, which is why the autopilot keeps a slow safety pass.
 */
export interface FleetEventMap {
  /** A device was registered (REST or hello) or changed what selects it (tags, profile) or what it runs. */
  'device.changed': { deviceId: string; profileClass: string; tags: string[] };
  /** A device's benchmark report was stored (its deployment row and the deployment's status moved with it). */
  'device.reported': { deviceId: string; deploymentId: string; artifactId: string; outcome: string };
  /** New model artifacts are in the catalogue (an upload, or a distillation's published variants). */
  'models.published': { artifactIds: string[]; family: string | null };
}

export type FleetEventName = keyof FleetEventMap;

@Injectable()
export class FleetEvents {
  private readonly log = new Logger('FleetEvents');

  constructor(private readonly emitter: EventEmitter2) {}

  /** Listeners run synchronously and must only schedule work; one that throws is logged, never the emitter's problem. */
  emit<K extends FleetEventName>(name: K, payload: FleetEventMap[K]): void {
    try {
      this.emitter.emit(name, payload);
    } catch (err) {
      this.log.warn(`listener of ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
