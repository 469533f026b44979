/**
 * Unit tier: DeploymentsService.recordReport's branches with its repositories faked in memory (the real queries
 * run in api.*.int.spec.ts and deployment-reports.postgres.int.spec.ts). The fakes record every call, so the
 * tests can say what was written, in which order, and that it all went through the one transaction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_VERSION, type ReportMessage } from '@edgefleet/contracts';
import { ArtifactMismatchError, UnknownDeploymentError, UnknownDeviceError } from '@edgefleet/platform';
import type { AppConfig, FleetEvents, AuditRepository, UnitOfWork } from '@edgefleet/platform';
import type { DeviceRepository } from '../devices/device.repository';
import type { DeviceMessageRepository } from '../devices/device-message.repository';
import type { ModelRepository } from '@edgefleet/catalog';
import type { OtaService } from '../ota/ota.service';
import type { ReportRepository } from '../reports/report.repository';
import type { DeploymentStatusName, DeviceState } from './deployment-state';
import type { DeploymentRepository } from './deployment.repository';
import { DeploymentsService } from './deployment.service';

const TX = Symbol('tx');
const SHA = 'ab'.repeat(32);

interface Call { name: string; args: unknown[]; inTx: boolean }

/** A fleet of one deployment `dep-1` of artifact `art-1` to the given devices, in memory. */
function world(opts: { rows?: Record<string, DeviceState>; reported?: string[]; devices?: string[]; status?: DeploymentStatusName } = {}) {
  const calls: Call[] = [];
  const rows = new Map(Object.entries(opts.rows ?? { 'pi-1': 'benchmarking' }).map(([deviceId, state]) => [deviceId, {
    id: `row-${deviceId}`, deploymentId: 'dep-1', deviceId, state, reportId: opts.reported?.includes(deviceId) ? 'rep-0' : null,
    receivedBlocks: 0, totalBlocks: 4,
  }]));
  const devices = new Set(opts.devices ?? [...rows.keys()]);
  let status: DeploymentStatusName = opts.status ?? 'in_progress';
  const rec = (name: string) => (...args: unknown[]) => { calls.push({ name, args, inTx: args.includes(TX) }); };
  const deployments = {
    lock: async (...a: unknown[]) => { rec('deployments.lock')(...a); return status; },
    lockDeviceRows: async (keys: Array<{ deploymentId: string; deviceId: string }>, ...a: unknown[]) => {
      rec('deployments.lockDeviceRows')(keys, ...a);
      return keys.flatMap((k) => (k.deploymentId === 'dep-1' && rows.has(k.deviceId) ? [{ ...rows.get(k.deviceId)! }] : []));
    },
    deliveredArtifacts: async (ids: string[], ...a: unknown[]) => {
      rec('deployments.deliveredArtifacts')(ids, ...a);
      return new Map(ids.filter((id) => id === 'dep-1').map((id) => [id, { id: 'art-1', sha256: SHA, evalSetSha256: null }]));
    },
    updateDeviceRow: async (id: string, changes: { state?: DeviceState }, ...a: unknown[]) => {
      rec('deployments.updateDeviceRow')(id, changes, ...a);
      const row = [...rows.values()].find((r) => r.id === id)!;
      if (changes.state) row.state = changes.state;
    },
    lockForRollUp: async (id: string, tx: unknown, lockedStatus?: DeploymentStatusName) => {
      rec('deployments.lockForRollUp')(id, tx, lockedStatus);
      assert.equal(lockedStatus, status, 'the status read under the deployment lock is passed on, not read again');
      return { status, states: [...rows.values()].map((r) => r.state) };
    },
    setStatus: async (id: string, next: DeploymentStatusName, ...a: unknown[]) => { rec('deployments.setStatus')(id, next, ...a); status = next; },
  };
  const deviceRepo = {
    find: async (id: string, ...a: unknown[]) => { rec('devices.find')(id, ...a); return devices.has(id) ? { id } : undefined; },
    update: async (...a: unknown[]) => rec('devices.update')(...a),
  };
  const reports = { create: async (r: unknown, ...a: unknown[]) => { rec('reports.create')(r, ...a); return { id: 'rep-1' }; } };
  const audit = { record: async (...a: unknown[]) => rec('audit.record')(...a) };
  const claimed = new Set<string>();
  const messages = {
    claim: async (deviceId: string, msgId: string, ...a: unknown[]) => {
      rec('messages.claim')(deviceId, msgId, ...a);
      if (claimed.has(`${deviceId}/${msgId}`)) return false;
      claimed.add(`${deviceId}/${msgId}`);
      return true;
    },
  };
  const uow = { transaction: async <T>(work: (tx: unknown) => Promise<T>) => work(TX) };
  const service = new DeploymentsService(
    deployments as unknown as DeploymentRepository, deviceRepo as unknown as DeviceRepository, {} as ModelRepository,
    reports as unknown as ReportRepository, audit as unknown as AuditRepository, {} as OtaService, uow as unknown as UnitOfWork,
    { blockSize: 65536 } as AppConfig, { emit: () => true } as unknown as FleetEvents, messages as unknown as DeviceMessageRepository,
  );
  const writes = () => calls.filter((c) => /update|create|record|setStatus/.test(c.name));
  return { service, calls, writes, state: (deviceId: string) => rows.get(deviceId)?.state, status: () => status };
}

const report = (outcome: ReportMessage['outcome'], over: Partial<ReportMessage> = {}): ReportMessage => ({
  v: PROTOCOL_VERSION, deploymentId: 'dep-1', artifactSha256: SHA, outcome,
  latency: { p50Ms: 1, p95Ms: 2, p99Ms: 3, meanMs: 1.2, minMs: 0.9, maxMs: 4 },
  runs: 20, warmupRuns: 2, accuracy: 0.9, evalSamples: 8, inputSource: 'eval-set',
  gateResults: [{ gate: 'maxLatencyP95Ms', limit: 5, measured: 2, passed: outcome !== 'rejected' }],
  simulated: false, measuredAt: '2026-11-30T00:00:00.000Z',
  ...(outcome === 'activated' ? {} : { failureReason: `${outcome} on the device` }),
  ...over,
});

describe('DeploymentsService.recordReport', () => {
  it('activated: stores the report, activates the row and the device, audits and rolls up — in one transaction, deployment locked first', async () => {
    const w = world();
    await w.service.recordReport('pi-1', report('activated'));
    assert.deepEqual(w.calls.map((c) => c.name), [
      'deployments.lock', 'deployments.lockDeviceRows', 'deployments.deliveredArtifacts', 'reports.create', 'deployments.updateDeviceRow', 'devices.update',
      'audit.record', 'deployments.lockForRollUp', 'deployments.setStatus',
    ]);
    assert.ok(w.calls.every((c) => c.inTx), 'every repository call got the transaction');
    const stored = w.calls.find((c) => c.name === 'reports.create')!.args[0] as Record<string, unknown>;
    assert.equal(stored.passed, true);
    assert.equal(stored.activated, true);
    assert.equal(stored.latencyP95Ms, 2);
    assert.equal(stored.artifactId, 'art-1');
    assert.deepEqual(w.calls.find((c) => c.name === 'deployments.updateDeviceRow')!.args[1], { state: 'active', reportId: 'rep-1', error: null });
    assert.deepEqual(w.calls.find((c) => c.name === 'devices.update')!.args.slice(0, 2), ['pi-1', { activeArtifactId: 'art-1' }]);
    assert.equal(w.status(), 'succeeded');
  });

  it('rejected: the row keeps the reason, the device keeps its model, the deployment waits for the others', async () => {
    const w = world({ rows: { 'pi-1': 'benchmarking', 'pi-2': 'downloading' } });
    await w.service.recordReport('pi-1', report('rejected'));
    assert.equal(w.state('pi-1'), 'rejected');
    assert.deepEqual((w.calls.find((c) => c.name === 'deployments.updateDeviceRow')!.args[1] as { error: string }).error, 'rejected on the device');
    assert.equal(w.calls.some((c) => c.name === 'devices.update'), false);
    assert.equal((w.calls.find((c) => c.name === 'reports.create')!.args[0] as { passed: boolean }).passed, false);
    assert.equal(w.calls.some((c) => c.name === 'deployments.setStatus'), false, 'still in progress: no status write');
  });

  it('failed without a reason: the outcome is the error; a passed gate list does not make the report pass', async () => {
    const w = world({ rows: { 'pi-1': 'verifying', 'pi-2': 'active' } });
    await w.service.recordReport('pi-1', report('failed', { failureReason: undefined, gateResults: [] }));
    assert.deepEqual(w.calls.find((c) => c.name === 'deployments.updateDeviceRow')!.args[1], { state: 'failed', reportId: 'rep-1', error: 'failed' });
    assert.equal((w.calls.find((c) => c.name === 'reports.create')!.args[0] as { passed: boolean }).passed, false);
    assert.equal(w.status(), 'partial');
  });

  it('a report for a row a newer deployment took over is stored, but the row stays superseded', async () => {
    const w = world({ rows: { 'pi-1': 'superseded', 'pi-2': 'active' } });
    await w.service.recordReport('pi-1', report('activated'));
    assert.equal(w.state('pi-1'), 'superseded');
    assert.ok(w.calls.some((c) => c.name === 'devices.update'), 'the device still says what it runs');
  });

  it('a duplicate (QoS 1 redelivery) writes nothing', async () => {
    const w = world({ reported: ['pi-1'] });
    await w.service.recordReport('pi-1', report('activated'));
    assert.deepEqual(w.writes(), []);
  });

  it('a resend (same msgId) is recognised before any lock and writes nothing; the stored details carry no msgId', async () => {
    const w = world();
    await w.service.recordReport('pi-1', report('activated', { msgId: 'm-0000001' }));
    const stored = w.calls.find((c) => c.name === 'reports.create')!.args[0] as { details: Record<string, unknown> };
    assert.equal('msgId' in stored.details, false);
    const before = w.calls.length;
    await w.service.recordReport('pi-1', report('activated', { msgId: 'm-0000001' }));
    assert.deepEqual(w.calls.slice(before).map((c) => c.name), ['messages.claim']);
  });

  it('unknown device, a deployment not targeting the device, or another artifact: typed error, nothing written', async () => {
    const unknown = world();
    await assert.rejects(unknown.service.recordReport('ghost', report('activated')), UnknownDeviceError);
    assert.deepEqual(unknown.writes(), []);

    const untargeted = world({ devices: ['pi-1', 'pi-9'] });
    await assert.rejects(untargeted.service.recordReport('pi-9', report('activated')), UnknownDeploymentError);
    await assert.rejects(untargeted.service.recordReport('pi-1', report('activated', { deploymentId: 'dep-2' })), UnknownDeploymentError);
    assert.deepEqual(untargeted.writes(), []);

    const mismatch = world();
    await assert.rejects(mismatch.service.recordReport('pi-1', report('activated', { artifactSha256: 'cd'.repeat(32) })), ArtifactMismatchError);
    assert.deepEqual(mismatch.writes(), []);
  });
});
