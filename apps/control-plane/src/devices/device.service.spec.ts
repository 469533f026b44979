/**
 * Unit tier: DevicesService.registerFromHello's branches with its repositories faked in memory (the real
 * queries run in api.*.int.spec.ts and mqtt.int.spec.ts). A new device takes name and tags from its hello; a
 * known one keeps what the admin set and only refreshes what the device is authoritative about.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { profileClassOf, type HelloMessage } from '@edgefleet/contracts';
import type { AuditRepository, AppConfig, FleetEvents, UnitOfWork } from '@edgefleet/platform';
import { UnknownDeviceError } from '@edgefleet/platform';
import type { DeviceCredentialService } from '../identity/device-credential.service';
import type { BrokerAccountsService } from '../mqtt/broker-accounts.service';
import type { ModelRepository } from '@edgefleet/catalog';
import type { OtaService } from '../ota/ota.service';
import type { ReportRepository } from '../reports/report.repository';
import { profile } from '../testing/factories';
import type { DeviceChanges, DeviceRepository, NewDevice } from './device.repository';
import { DevicesService } from './device.service';

const TX = Symbol('tx');
const KNOWN_SHA = 'ab'.repeat(32);

/** `lab`: MQTT_ALLOW_ANONYMOUS (hello may register a device); otherwise only `enrolled` devices may say hello. */
function world(existing: string[] = [], opts: { lab?: boolean; enrolled?: string[]; running?: Record<string, string> } = { lab: true }) {
  const emitted: string[] = [];
  const created: NewDevice[] = [];
  const updates: Array<{ id: string; changes: DeviceChanges; inTx: boolean }> = [];
  const audits: Array<{ action: string; entityId: string; inTx: boolean }> = [];
  const ids = new Set(existing);
  const devices = {
    create: async (d: NewDevice, db: unknown) => {
      assert.equal(db, TX);
      if (ids.has(d.id)) return undefined;
      ids.add(d.id);
      created.push(d);
      return { id: d.id };
    },
    update: async (id: string, changes: DeviceChanges, db: unknown) => { updates.push({ id, changes, inTx: db === TX }); return { id }; },
    find: async (id: string) => (ids.has(id) ? { id, activeArtifactId: opts.running?.[id] ?? null } : undefined),
  };
  // Two rows hold KNOWN_SHA's bytes: art-7 (newest) and art-3.
  const models = { findBySha256: async (sha: string, prefer?: string | null) => (sha === KNOWN_SHA ? { id: prefer === 'art-3' ? 'art-3' : 'art-7' } : undefined) };
  const audit = { record: async (e: { action: string; entityId: string }, db: unknown) => { audits.push({ action: e.action, entityId: e.entityId, inTx: db === TX }); } };
  const uow = { transaction: async <T>(work: (tx: unknown) => Promise<T>) => work(TX) };
  const events = { emit: (name: string, e: { deviceId: string }) => emitted.push(`${name}:${e.deviceId}`) };
  const credentials = { enrolled: async (id: string) => (opts.enrolled?.includes(id) ? { deviceId: id, requiredProfileClass: null } : undefined) };
  const service = new DevicesService(
    devices as unknown as DeviceRepository, models as unknown as ModelRepository, {} as ReportRepository,
    audit as unknown as AuditRepository, uow as unknown as UnitOfWork, {} as OtaService, events as unknown as FleetEvents,
    credentials as unknown as DeviceCredentialService, {} as BrokerAccountsService, { mqttAllowAnonymous: opts.lab === true } as AppConfig,
  );
  return { service, created, updates, audits, emitted };
}

const hello = (over: Partial<HelloMessage> = {}): HelloMessage =>
  ({ v: 1, deviceId: 'pi-1', agentVersion: '0.2.0', profile: profile(), ...over }) as HelloMessage;

describe('DevicesService.registerFromHello', () => {
  it('a new device: created online with the hello\'s name and de-duplicated tags, its class, and an audit event', async () => {
    const w = world();
    await w.service.registerFromHello(hello({ name: 'Kitchen', tags: ['a', 'b', 'a'] }));
    assert.equal(w.created.length, 1);
    const d = w.created[0]!;
    assert.deepEqual({ id: d.id, name: d.name, tags: d.tags, status: d.status, agentVersion: d.agentVersion },
      { id: 'pi-1', name: 'Kitchen', tags: ['a', 'b'], status: 'online', agentVersion: '0.2.0' });
    assert.equal(d.profileClass, profileClassOf(profile()));
    assert.ok(d.lastSeenAt instanceof Date);
    assert.equal(Object.getPrototypeOf(d.profile), Object.prototype, 'a plain profile goes into the JSON column');
    assert.deepEqual(w.audits, [{ action: 'device.register', entityId: 'pi-1', inTx: true }]);
    assert.deepEqual(w.updates, [], 'no active model reported: nothing to update');
    assert.deepEqual(w.emitted, ['device.changed:pi-1'], 'the autopilot hears of it after the commit');
  });

  it('a new device without name or tags is named by its id; a known active model is recorded', async () => {
    const w = world();
    await w.service.registerFromHello(hello({ activeSha256: KNOWN_SHA }));
    assert.equal(w.created[0]!.name, 'pi-1');
    assert.deepEqual(w.created[0]!.tags, []);
    assert.deepEqual(w.updates, [{ id: 'pi-1', changes: { activeArtifactId: 'art-7' }, inTx: true }]);
  });

  it('a known device keeps the admin\'s name and tags; profile, version, liveness and active model are refreshed', async () => {
    const w = world(['pi-1']);
    await w.service.registerFromHello(hello({ name: 'Renamed by device', tags: ['x'], agentVersion: '0.3.0', profile: profile({ ramMb: 2048 }), activeSha256: KNOWN_SHA }));
    assert.deepEqual(w.created, []);
    assert.deepEqual(w.audits, [], 'a returning device is not a registration');
    assert.equal(w.updates.length, 1);
    const { id, changes, inTx } = w.updates[0]!;
    assert.equal(id, 'pi-1');
    assert.ok(inTx);
    assert.deepEqual(Object.keys(changes).sort(), ['activeArtifactId', 'agentVersion', 'lastSeenAt', 'profile', 'profileClass', 'status']);
    assert.equal(changes.activeArtifactId, 'art-7');
    assert.equal(changes.profile?.ramMb, 2048);
    assert.equal(changes.profileClass, profileClassOf(profile({ ramMb: 2048 })));
  });

  it('a restarted device running the bytes of two rows keeps the row it was known to run (the autopilot compares ids)', async () => {
    const w = world(['pi-1'], { lab: true, running: { 'pi-1': 'art-3' } });
    await w.service.registerFromHello(hello({ activeSha256: KNOWN_SHA }));
    assert.equal(w.updates[0]!.changes.activeArtifactId, 'art-3');
  });

  it('a known device running nothing we know (or nothing): its active model is cleared, not kept stale', async () => {
    const unknownModel = world(['pi-1']);
    await unknownModel.service.registerFromHello(hello({ activeSha256: 'cd'.repeat(32) }));
    assert.equal(unknownModel.updates[0]!.changes.activeArtifactId, null);
    const none = world(['pi-1']);
    await none.service.registerFromHello(hello());
    assert.equal(none.updates[0]!.changes.activeArtifactId, null);
  });

  it('closed fleet: a hello from a device that was never enrolled is refused and writes nothing', async () => {
    const w = world([], { lab: false });
    await assert.rejects(w.service.registerFromHello(hello()), UnknownDeviceError);
    assert.deepEqual([w.created, w.updates, w.audits, w.emitted], [[], [], [], []]);
  });

  it('closed fleet: an enrolled device is never created by its hello, only refreshed', async () => {
    const w = world(['pi-1'], { lab: false, enrolled: ['pi-1'] });
    await w.service.registerFromHello(hello({ name: 'Renamed by device' }));
    assert.deepEqual(w.created, []);
    assert.equal(w.updates.length, 1);
    assert.deepEqual(w.emitted, ['device.changed:pi-1']);
  });
});
