import { Injectable, Logger } from '@nestjs/common';
import { HardwareProfile, HelloMessage, profileClassOf } from '@edgefleet/contracts';
import { ConflictError, InvalidInputError, NotFoundError, UnknownDeviceError, UnprocessableError, AppConfig, UnitOfWork, AuditRepository, FleetEvents } from '@edgefleet/platform';
import { DeviceCredentialService, IssuedCredential } from '../identity/device-credential.service';
import { BrokerAccountsService } from '../mqtt/broker-accounts.service';
import { isReservedDeviceId } from '../mqtt/broker-policy';
import type { Page, Actor } from '@edgefleet/platform';
import { ModelRepository } from '@edgefleet/catalog';
import { OtaService } from '../ota/ota.service';
import { ReportRepository, ReportRecord } from '../reports/report.repository';
import { DeviceFilter, DeviceRecord, DeviceRepository } from './device.repository';

export interface CreateDevice {
  id: string;
  name?: string;
  tags?: string[];
  profile: HardwareProfile;
}

export interface UpdateDevice {
  name?: string;
  tags?: string[];
  profile?: HardwareProfile;
}

/** Plain copy of a validated profile (class instances would carry their prototype into JSON columns). */
export const plainProfile = (p: HardwareProfile): HardwareProfile => JSON.parse(JSON.stringify(p)) as HardwareProfile;

@Injectable()
export class DevicesService {
  private readonly log = new Logger('Devices');

  constructor(
    private readonly devices: DeviceRepository,
    private readonly models: ModelRepository,
    private readonly reports: ReportRepository,
    private readonly audit: AuditRepository,
    private readonly uow: UnitOfWork,
    private readonly ota: OtaService,
    private readonly events: FleetEvents,
    private readonly credentials: DeviceCredentialService,
    private readonly accounts: BrokerAccountsService,
    private readonly config: AppConfig,
  ) {}

  /** Registers the device and issues its broker credential (returned once, stored only hashed). */
  async create(input: CreateDevice, actor: Actor): Promise<{ device: DeviceRecord; credential: IssuedCredential }> {
    assertUsableDeviceId(input.id);
    const profile = plainProfile(input.profile);
    // Refused before the tens of milliseconds of hashing a new secret costs (the transaction checks again).
    if (await this.devices.find(input.id)) throw new ConflictError(`device ${JSON.stringify(input.id)} already exists`);
    const secret = await this.credentials.prepare();
    const created = await this.uow.transaction(async (tx) => {
      const device = await this.devices.create(
        { id: input.id, name: input.name ?? input.id, tags: dedupe(input.tags ?? []), profile, profileClass: profileClassOf(profile) },
        tx,
      );
      if (!device) throw new ConflictError(`device ${JSON.stringify(input.id)} already exists`);
      const credential = await this.credentials.issue(device.id, secret, {}, tx);
      await this.audit.record({ actor, action: 'device.create', entityType: 'device', entityId: device.id }, tx);
      return { device, credential };
    });
    await this.grantOnBroker(created.device.id, created.credential.password);
    this.changed(created.device);
    return created;
  }

  /** A new secret for the device; the old one stops working and its connection is closed. */
  async rotateCredential(id: string, actor: Actor): Promise<IssuedCredential> {
    // An unknown id costs a lookup, not the tens of milliseconds of hashing a new secret (checked again below).
    if (!(await this.devices.find(id))) throw new NotFoundError('device', id);
    const secret = await this.credentials.prepare();
    const credential = await this.uow.transaction(async (tx) => {
      const device = await this.devices.find(id, tx);
      if (!device) throw new NotFoundError('device', id);
      const old = await this.credentials.current(id, tx);
      const issued = await this.credentials.issue(id, secret, { requiredProfileClass: old?.requiredProfileClass ?? undefined }, tx);
      await this.audit.record({ actor, action: 'device.credential.rotate', entityType: 'device', entityId: id }, tx);
      return issued;
    });
    this.credentials.forget(id);
    await this.grantOnBroker(id, credential.password);
    return credential;
  }

  /** After the commit: the broker learns the new secret (Mosquitto dynamic security) and drops old sessions. */
  async grantOnBroker(deviceId: string, password: string): Promise<void> {
    try {
      await this.accounts.granted(deviceId, password);
    } catch (err) {
      this.log.error(`device ${deviceId}: credential stored, but the broker could not be updated (rotate it again once the broker answers): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async get(id: string): Promise<DeviceRecord> {
    const device = await this.devices.findCached(id);
    if (!device) throw new NotFoundError('device', id);
    return device;
  }

  /** Device classes among the devices carrying any of the tags (none: the whole fleet). */
  classesOf(tags: readonly string[]): Promise<string[]> {
    return this.devices.classesOf(tags);
  }

  /** A segment's devices of one class (any of the tags; none: every device of the class) with what each runs. */
  classMembers(tags: readonly string[], profileClass: string): Promise<Array<{ id: string; activeArtifactId: string | null }>> {
    return this.devices.classMembers(tags, profileClass);
  }

  /** Undefined for an unknown device (the autopilot asks after an event, when it may already be gone). */
  find(id: string): Promise<DeviceRecord | undefined> {
    return this.devices.find(id);
  }

  async list(filter: DeviceFilter, page: { limit: number; offset: number }): Promise<Page<DeviceRecord>> {
    const { items, total } = await this.devices.list(filter, page);
    return { items, total, ...page };
  }

  async update(id: string, changes: UpdateDevice, actor: Actor): Promise<DeviceRecord> {
    const profile = changes.profile ? plainProfile(changes.profile) : undefined;
    const updated = await this.uow.transaction(async (tx) => {
      const device = await this.devices.update(
        id,
        {
          name: changes.name,
          tags: changes.tags ? dedupe(changes.tags) : undefined,
          ...(profile ? { profile, profileClass: profileClassOf(profile) } : {}),
        },
        tx,
      );
      if (!device) throw new NotFoundError('device', id);
      await this.audit.record({ actor, action: 'device.update', entityType: 'device', entityId: id, details: { fields: Object.keys(changes) } }, tx);
      return device;
    });
    this.changed(updated);
    return updated;
  }

  async remove(id: string, actor: Actor): Promise<void> {
    await this.uow.transaction(async (tx) => {
      if (!(await this.devices.delete(id, tx))) throw new NotFoundError('device', id);
      await this.audit.record({ actor, action: 'device.delete', entityType: 'device', entityId: id }, tx);
    });
    // Revocation: the credential went with the row; its live session ends now, not at its next reconnect.
    this.credentials.forget(id);
    try {
      await this.accounts.revoked(id);
    } catch (err) {
      this.log.error(`device ${id} deleted, but the broker could not be told to drop it: ${err instanceof Error ? err.message : String(err)}`);
    }
    // A retained desired state would otherwise keep telling a forgotten device to fetch a model.
    try {
      await this.ota.clearDesired(id);
    } catch (err) {
      this.log.warn(`device ${id} deleted, but its retained desired state could not be cleared: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async listReports(id: string, page: { limit: number; offset: number }): Promise<Page<ReportRecord>> {
    await this.get(id);
    const { items, total } = await this.reports.listForDevice(id, page);
    return { items, total, ...page };
  }

  /**
   * A device's hello. Only an enrolled device may say hello: it keeps the name and tags the operator (or its
   * enrollment token) gave it and refreshes only what it is authoritative about — profile (within the class its
   * token allows), agent version, liveness and the model it actually runs. Self-registration of an unknown
   * device exists only in the MQTT_ALLOW_ANONYMOUS lab mode.
   */
  async registerFromHello(hello: HelloMessage): Promise<void> {
    const profile = plainProfile(hello.profile);
    if (!this.config.mqttAllowAnonymous) {
      const credential = await this.credentials.enrolled(hello.deviceId);
      if (!credential) throw new UnknownDeviceError(hello.deviceId);
      const cls = profileClassOf(profile);
      if (credential.requiredProfileClass && credential.requiredProfileClass !== cls) {
        throw new UnprocessableError(`profile class ${cls} is outside the class ${credential.requiredProfileClass} this device was enrolled for`);
      }
    }
    const now = new Date();
    const known = hello.activeSha256 ? (await this.devices.find(hello.deviceId))?.activeArtifactId : undefined;
    const activeArtifactId = hello.activeSha256 ? ((await this.models.findBySha256(hello.activeSha256, known))?.id ?? null) : null;
    const facts = { profile, profileClass: profileClassOf(profile), agentVersion: hello.agentVersion, lastSeenAt: now, status: 'online' as const };
    const selfRegistration = this.config.mqttAllowAnonymous;
    const device = await this.uow.transaction(async (tx) => {
      // Closed fleet: never create here (a cached "enrolled" must not resurrect a device deleted a moment ago).
      const created = selfRegistration
        ? await this.devices.create({ id: hello.deviceId, name: hello.name ?? hello.deviceId, tags: dedupe(hello.tags ?? []), ...facts }, tx)
        : undefined;
      if (created) {
        const actor = `device:${hello.deviceId}`;
        await this.audit.record({ actor, action: 'device.register', entityType: 'device', entityId: hello.deviceId, details: { profileClass: facts.profileClass } }, tx);
        this.log.log(`device ${hello.deviceId} registered itself (class ${facts.profileClass})`);
        return activeArtifactId ? ((await this.devices.update(hello.deviceId, { activeArtifactId }, tx)) ?? created) : created;
      }
      const updated = await this.devices.update(hello.deviceId, { ...facts, activeArtifactId }, tx);
      if (!updated) throw new UnknownDeviceError(hello.deviceId);
      return updated;
    });
    this.changed(device);
  }

  /** After the commit: the autopilot (and anyone else listening) re-plans this device's classes. */
  private changed(d: DeviceRecord): void {
    this.events.emit('device.changed', { deviceId: d.id, profileClass: d.profileClass, tags: d.tags });
  }

  /** Liveness from the device's retained status topic (its last will says offline). */
  async markStatus(deviceId: string, state: 'online' | 'offline'): Promise<void> {
    const device = await this.devices.update(deviceId, { status: state, lastSeenAt: new Date() });
    // A status may arrive before the first hello (or stay retained after a delete): nothing to update then,
    // and creating a device without a profile would be a half record.
    if (!device) this.log.debug(`status ${state} for unregistered device ${deviceId} ignored`);
  }
}

/** Device ids are broker usernames and client ids: the control plane's own may not be taken. */
export function assertUsableDeviceId(id: string): void {
  if (isReservedDeviceId(id)) throw new InvalidInputError(`device id ${JSON.stringify(id)} is reserved for the control plane`);
}

const dedupe = (tags: string[]) => [...new Set(tags)];
