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
    lockMany: async (ids: string[], ...a: unknown[]) => { rec('deployments.lockMany')(ids, ...a); return new Map(ids.filter((id) => id === 'dep-1').map((id) => [id, status])); },
    lockDeviceRows: async (keys: Array<{ deploymentId: string; deviceId: string }>, ...a: unknown[]) => {
      rec('deployments.lockDeviceRows')(keys, ...a);
      return keys.flatMap((k) => (k.deploymentId === 'dep-1' && rows.has(k.deviceId) ? [{ ...rows.get(k.deviceId)! }] : []));
    },
    deliveredArtifacts: async (ids: string[], ...a: unknown[]) => {
      rec('deployments.deliveredArtifacts')(ids, ...a);
      return new Map(ids.filter((id) => id === 'dep-1').map((id) => [id, { id: 'art-1', sha256: SHA, evalSetSha256: null }]));
    },
    finishDeviceRows: async (finished: Array<{ id: string; state: DeviceState; reportId: string; error: string | null }>, ...a: unknown[]) => {
      rec('deployments.finishDeviceRows')(finished, ...a);
      for (const f of finished) {
        const row = [...rows.values()].find((r) => r.id === f.id)!;
        row.state = f.state;
        row.reportId = f.reportId;
      }
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
    setActiveArtifacts: async (...a: unknown[]) => rec('devices.setActiveArtifacts')(...a),
  };
  const reports = { createMany: async (...a: unknown[]) => rec('reports.createMany')(...a) };
  const audit = { recordMany: async (...a: unknown[]) => rec('audit.recordMany')(...a) };
  const claimed = new Set<string>();
  const messages = {
    claimMany: async (entries: Array<{ deviceId: string; msgId: string }>, ...a: unknown[]) => {
      rec('messages.claimMany')(entries, ...a);
      const fresh = new Set<number>();
      entries.forEach((e, i) => {
        if (claimed.has(`${e.deviceId}/${e.msgId}`)) return;
        claimed.add(`${e.deviceId}/${e.msgId}`);
        fresh.add(i);
      });
      return fresh;
    },
    unclaim: async (entries: Array<{ deviceId: string; msgId: string }>, ...a: unknown[]) => {
      rec('messages.unclaim')(entries, ...a);
      for (const e of entries) claimed.delete(`${e.deviceId}/${e.msgId}`);
    },
  };
  const uow = { transaction: async <T>(work: (tx: unknown) => Promise<T>) => work(TX) };
  const service = new DeploymentsService(
    deployments as unknown as DeploymentRepository, deviceRepo as unknown as DeviceRepository, {} as ModelRepository,
    reports as unknown as ReportRepository, audit as unknown as AuditRepository, {} as OtaService, uow as unknown as UnitOfWork,
    { blockSize: 65536 } as AppConfig, { emit: () => true } as unknown as FleetEvents, messages as unknown as DeviceMessageRepository,
  );
  /** Repository writes that wrote something (the batch methods are called with empty lists when there is nothing). */
  const writes = () => calls.filter((c) => /finish|create|record|setStatus|setActive/.test(c.name) && !(Array.isArray(c.args[0]) && c.args[0].length === 0)
    && !(c.args[0] instanceof Map && c.args[0].size === 0));
  return { service, calls, writes, state: (deviceId: string) => rows.get(deviceId)?.state, status: () => status };
}

type World = ReturnType<typeof world>;
const storedReport = (w: World) => (w.calls.find((c) => c.name === 'reports.createMany')!.args[0] as Array<Record<string, unknown> & { id: string; details: Record<string, unknown> }>)[0]!;
const finished = (w: World) => (w.calls.find((c) => c.name === 'deployments.finishDeviceRows')!.args[0] as Array<{ id: string; state: string; reportId: string; error: string | null }>)[0]!;

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
      'messages.claimMany', 'deployments.lockMany', 'deployments.lockDeviceRows', 'deployments.deliveredArtifacts', 'messages.unclaim', 'reports.createMany',
      'deployments.finishDeviceRows', 'devices.setActiveArtifacts', 'audit.recordMany', 'deployments.lockForRollUp', 'deployments.setStatus',
    ]);
    assert.ok(w.calls.every((c) => c.inTx), 'every repository call got the transaction');
    const stored = storedReport(w);
    assert.equal(stored.passed, true);
    assert.equal(stored.activated, true);
    assert.equal(stored.latencyP95Ms, 2);
    assert.equal(stored.artifactId, 'art-1');
    assert.deepEqual(finished(w), { id: 'row-pi-1', state: 'active', reportId: stored.id, error: null });
    assert.deepEqual([...(w.calls.find((c) => c.name === 'devices.setActiveArtifacts')!.args[0] as Map<string, string>)], [['pi-1', 'art-1']]);
    assert.equal(w.status(), 'succeeded');
  });

  it('reports arriving together are one batch: one statement each, the deployment rolled up once', async () => {
    const w = world({ rows: { 'pi-1': 'benchmarking', 'pi-2': 'benchmarking', 'pi-3': 'benchmarking' } });
    await Promise.all([
      w.service.recordReport('pi-1', report('activated', { msgId: 'm-0000001' })),
      w.service.recordReport('pi-2', report('activated', { msgId: 'm-0000002' })),
      w.service.recordReport('pi-3', report('rejected', { msgId: 'm-0000003' })),
      w.service.recordReport('pi-3', report('rejected', { msgId: 'm-0000003' })),
    ]);
    assert.equal(w.calls.filter((c) => c.name === 'reports.createMany').length, 2, 'the first alone, the other three together');
    assert.equal(w.calls.filter((c) => c.name === 'reports.createMany').reduce((n, c) => n + (c.args[0] as unknown[]).length, 0), 3, 'the resend stored nothing');
    assert.equal(w.calls.filter((c) => c.name === 'deployments.lockForRollUp').length, 2, 'one roll-up per batch');
    assert.equal(w.state('pi-3'), 'rejected');
    assert.equal(w.status(), 'partial');
  });

  it('rejected: the row keeps the reason, the device keeps its model, the deployment waits for the others', async () => {
    const w = world({ rows: { 'pi-1': 'benchmarking', 'pi-2': 'downloading' } });
    await w.service.recordReport('pi-1', report('rejected'));
    assert.equal(w.state('pi-1'), 'rejected');
    assert.equal(finished(w).error, 'rejected on the device');
    assert.equal((w.calls.find((c) => c.name === 'devices.setActiveArtifacts')!.args[0] as Map<string, string>).size, 0);
    assert.equal(storedReport(w).passed, false);
    assert.equal(w.calls.some((c) => c.name === 'deployments.setStatus'), false, 'still in progress: no status write');
  });

  it('failed without a reason: the outcome is the error; a passed gate list does not make the report pass', async () => {
    const w = world({ rows: { 'pi-1': 'verifying', 'pi-2': 'active' } });
    await w.service.recordReport('pi-1', report('failed', { failureReason: undefined, gateResults: [] }));
    assert.deepEqual(finished(w), { id: 'row-pi-1', state: 'failed', reportId: storedReport(w).id, error: 'failed' });
    assert.equal(storedReport(w).passed, false);
    assert.equal(w.status(), 'partial');
  });

  it('a report for a row a newer deployment took over is stored, but the row stays superseded', async () => {
    const w = world({ rows: { 'pi-1': 'superseded', 'pi-2': 'active' } });
    await w.service.recordReport('pi-1', report('activated'));
    assert.equal(w.state('pi-1'), 'superseded');
    assert.equal((w.calls.find((c) => c.name === 'devices.setActiveArtifacts')!.args[0] as Map<string, string>).get('pi-1'), 'art-1', 'the device still says what it runs');
  });

  it('a duplicate (QoS 1 redelivery) writes nothing', async () => {
    const w = world({ reported: ['pi-1'] });
    await w.service.recordReport('pi-1', report('activated'));
    assert.deepEqual(w.writes(), []);
  });

  it('a resend (same msgId) is recognised before any lock and writes nothing; the stored details carry no msgId', async () => {
    const w = world();
    await w.service.recordReport('pi-1', report('activated', { msgId: 'm-0000001' }));
    assert.equal('msgId' in storedReport(w).details, false);
    const before = w.writes().length;
    await w.service.recordReport('pi-1', report('activated', { msgId: 'm-0000001' }));
    assert.equal(w.writes().length, before, 'nothing written for the resend');
    assert.deepEqual(w.calls.filter((c) => c.name === 'deployments.lockDeviceRows').at(-1)!.args[0], [], 'no row locked for it');
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
