/**
 * Order of arrival never moves a row backwards, on PGlite and on PostgreSQL (skipped when the test database is
 * down, unless CI=true). fast-check draws an outcome and a permutation of one device's messages for a fresh
 * deployment — progress downloading/verifying/benchmarking, the report, and resends of some of them (same msgId) —
 * and delivers them to DeploymentsService as the MQTT handler does: once one after the other in that order, once
 * all at the same moment. Each time the row must end in the report's state with exactly one stored report, whatever
 * came first. Messages go straight to the service; no broker is involved in what is tested.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createTempPostgresDatabase, PostgresGate, type TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import type { DeviceStateMessage, ProgressMessage, ReportMessage } from '@edgefleet/contracts';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { ApiClient, deviceBody, evalSetFor, tinyClassifier } from '../testing/factories';
import { DeploymentsService } from './deployment.service';

type Msg = { kind: 'progress'; msg: ProgressMessage } | { kind: 'report'; msg: ReportMessage };

const gate = new PostgresGate();

for (const db of ['pglite', 'postgres'] as const) {
  describe(`device messages in any order (${db})`, () => {
    let pg: TempPostgresDatabase | undefined;
    let dir = '';
    let cp: ControlPlane | undefined;
    let skip: string | undefined;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'edgefleet-order-'));
      if (db === 'postgres') {
        await gate.probe();
        pg = await createTempPostgresDatabase().catch(() => undefined);
        if (!pg) {
          skip = 'no test PostgreSQL';
          return;
        }
      }
      cp = await startControlPlane({
        PORT: '0', MQTT_PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'error', EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false',
        ...(pg ? { DATABASE_URL: pg.url } : {}),
      });
    });
    after(async () => {
      await cp?.close();
      await pg?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** `n` new devices tagged `tag`, a model of `classes` classes, and a deployment of it to them. */
    const deploymentTo = async (n: number, tag: string, classes: number) => {
      const api = new ApiClient(cp!.httpUrl, cp!.adminApiKey);
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push((await api.post('/api/v1/devices', deviceBody({ tags: [tag] }))).body.id as string);
      const model = await api.uploadModel({ name: tag, version: '1' }, tinyClassifier(classes), evalSetFor(classes));
      assert.equal(model.status, 201, JSON.stringify(model.body));
      const dep = (await api.post('/api/v1/deployments', { artifactId: model.body.id, deviceIds: ids })).body;
      return { api, service: cp!.app.get(DeploymentsService), ids, model, dep };
    };

    it('the final row is the report\'s state, with one report, for every permutation, sequential and concurrent', { timeout: 120_000 }, async (t) => {
      if (db === 'postgres' && gate.skipped(t)) return;
      if (skip) return t.skip(skip);
      const api = new ApiClient(cp!.httpUrl, cp!.adminApiKey);
      const device = await api.post('/api/v1/devices', deviceBody({ tags: ['order'] }));
      assert.equal(device.status, 201, JSON.stringify(device.body));
      const deviceId = device.body.id as string;
      const model = await api.uploadModel({ name: 'order', version: '1' }, tinyClassifier(), evalSetFor());
      assert.equal(model.status, 201, JSON.stringify(model.body));
      const sha256 = model.body.sha256 as string;
      const service = cp!.app.get(DeploymentsService);
      let run = 0;

      const messages = (deploymentId: string, outcome: ReportMessage['outcome']): Msg[] => {
        const id = (n: string) => `r${run}-${n}-xxxxxx`;
        const progress = (state: ProgressMessage['state'], receivedBlocks: number, n: string): Msg =>
          ({ kind: 'progress', msg: { v: 1, deploymentId, sha256, state, receivedBlocks, totalBlocks: 1, msgId: id(n) } });
        return [
          progress('downloading', 0, 'p0'), progress('downloading', 1, 'p1'), progress('verifying', 1, 'p2'), progress('benchmarking', 1, 'p3'),
          { kind: 'report', msg: {
            v: 1, deploymentId, artifactSha256: sha256, outcome, runs: 10, warmupRuns: 1, inputSource: 'synthetic', gateResults: [],
            simulated: false, measuredAt: new Date().toISOString(), msgId: id('rep'),
            ...(outcome === 'activated' ? {} : { failureReason: `${outcome} on the device` }),
          } },
        ];
      };
      const deliver = (m: Msg) => (m.kind === 'report' ? service.recordReport(deviceId, m.msg) : service.recordProgress(deviceId, m.msg));

      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom<ReportMessage['outcome']>('activated', 'rejected'),
          fc.boolean(),
          fc.array(fc.nat(4), { maxLength: 3 }),
          fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
          async (outcome, concurrent, resent, keys) => {
            run++;
            const dep = await api.post('/api/v1/deployments', { artifactId: model.body.id, deviceIds: [deviceId] });
            assert.equal(dep.status, 201, JSON.stringify(dep.body));
            const base = messages(dep.body.id, outcome);
            // The permutation: the messages and their resends, ordered by a drawn key each.
            const all = [...base, ...resent.map((i) => base[i]!)];
            const order = all.map((m) => ({ m, k: keys.next().value as number })).sort((a, b) => a.k - b.k).map((x) => x.m);
            if (concurrent) await Promise.all(order.map(deliver));
            else for (const m of order) await deliver(m);

            const detail = (await api.get(`/api/v1/deployments/${dep.body.id}`)).body;
            const row = detail.devices.find((d: { deviceId: string }) => d.deviceId === deviceId);
            const expected = outcome === 'activated' ? 'active' : 'rejected';
            assert.equal(row.state, expected, `order ${order.map((m) => m.msg.msgId).join(' ')} (${concurrent ? 'concurrent' : 'sequential'})`);
            assert.ok(row.report, 'the report is stored and linked');
            assert.equal(detail.status, outcome === 'activated' ? 'succeeded' : 'failed');
            const reports = (await api.get(`/api/v1/devices/${deviceId}/reports?limit=100`)).body;
            const items = (reports.items ?? reports) as Array<{ deploymentId?: string }>;
            assert.equal(items.filter((r) => r.deploymentId === dep.body.id).length, 1, 'one report, not two');
          },
        ),
        { numRuns: 10 },
      );
    });

    it('progress of many devices at once is written in batches: a bad message is refused alone and its msgId not kept', { timeout: 60_000 }, async (t) => {
      if (db === 'postgres' && gate.skipped(t)) return;
      if (skip) return t.skip(skip);
      const { api, service, ids, model, dep } = await deploymentTo(12, 'batch', 6);
      const sha256 = model.body.sha256 as string;
      const progress = (state: ProgressMessage['state'], msgId: string, over: Partial<ProgressMessage> = {}): ProgressMessage =>
        ({ v: 1, deploymentId: dep.id, sha256, state, receivedBlocks: 1, totalBlocks: 1, msgId, ...over });
      const before = (await api.get(`/api/v1/deployments/${dep.id}`)).body;
      // All at once, so they share batches: every device downloads then verifies (device 0 also resends), device 1
      // names another artifact, device 2 another deployment.
      const sent = ids.flatMap((id, i) => [
        service.recordProgress(id, progress('verifying', `b-${i}-verify-x`)),
        service.recordProgress(id, progress('downloading', `b-${i}-down-xxx`)),
        ...(i === 0 ? [service.recordProgress(id, progress('verifying', `b-${i}-verify-x`))] : []),
        ...(i === 1 ? [service.recordProgress(id, progress('benchmarking', 'b-1-other-xx', { sha256: 'cd'.repeat(32) }))] : []),
        ...(i === 2 ? [service.recordProgress(id, progress('benchmarking', 'b-2-nodep-xx', { deploymentId: '00000000-0000-4000-8000-000000000000' }))] : []),
      ]);
      const results = await Promise.allSettled(sent);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as Error).name);
      assert.deepEqual(refused.sort(), ['ArtifactMismatchError', 'UnknownDeploymentError']);
      const d = (await api.get(`/api/v1/deployments/${dep.id}`)).body;
      for (const id of ids) {
        const row = d.devices.find((x: { deviceId: string }) => x.deviceId === id);
        assert.equal(row.state, 'verifying', `${id}: never moved back to downloading, not moved on by the refused message`);
        const old = before.devices.find((x: { deviceId: string }) => x.deviceId === id);
        assert.ok(new Date(row.updatedAt).getTime() >= new Date(old.updatedAt).getTime(), 'updatedAt is not older than before');
      }
      // The refused messages left no msgId behind: sent again (now valid), they are applied, not taken as resends.
      await service.recordProgress(ids[1]!, progress('benchmarking', 'b-1-other-xx'));
      const after = (await api.get(`/api/v1/deployments/${dep.id}`)).body;
      assert.equal(after.devices.find((x: { deviceId: string }) => x.deviceId === ids[1]).state, 'benchmarking');
    });

    it('a stalled row is reconciled from the device\'s state answer, and given up with a reason when nothing comes', { timeout: 60_000 }, async (t) => {
      if (db === 'postgres' && gate.skipped(t)) return;
      if (skip) return t.skip(skip);
      const { api, service, ids, model, dep } = await deploymentTo(3, 'stall', 5);
      const answer = (over: Partial<DeviceStateMessage>): DeviceStateMessage => ({ v: 1, deploymentId: dep.id, busy: false, unacknowledged: 0, ...over });
      // Device 0 finished (its report is still on its way): the row takes the outcome.
      await service.recordDeviceState(ids[0]!, answer({ desiredDeploymentId: dep.id, activeSha256: model.body.sha256, outcome: { sha256: model.body.sha256, outcome: 'activated' } }));
      // Device 1 is downloading: alive, its block count taken.
      await service.recordDeviceState(ids[1]!, answer({ desiredDeploymentId: dep.id, busy: true, partial: { sha256: model.body.sha256, receivedBlocks: 1, totalBlocks: 1 } }));
      let d = (await api.get(`/api/v1/deployments/${dep.id}`)).body;
      const state = (i: number) => d.devices.find((x: { deviceId: string }) => x.deviceId === ids[i]);
      assert.equal(state(0).state, 'active');
      assert.equal((await api.get(`/api/v1/devices/${ids[0]}`)).body.activeArtifactId, model.body.id);
      assert.equal(state(1).state, 'pending');
      assert.equal(state(1).receivedBlocks, 1);
      assert.equal(d.status, 'in_progress');
      // Nothing from devices 1 and 2 for longer than the give-up time (checked as of two days later): failed, with the reason.
      const { failed } = await service.checkStalled(Date.now() + 2 * 86_400_000);
      assert.ok(failed >= 2);
      d = (await api.get(`/api/v1/deployments/${dep.id}`)).body;
      assert.equal(state(2).state, 'failed');
      assert.match(state(2).error, /no progress from the device/);
      assert.equal(d.status, 'partial');
      // A late report still lands on its row (stored, not lost) and does not move the finished row back.
      await service.recordReport(ids[0]!, {
        v: 1, deploymentId: dep.id, artifactSha256: model.body.sha256, outcome: 'activated', runs: 10, warmupRuns: 1, inputSource: 'synthetic',
        gateResults: [], simulated: false, measuredAt: new Date().toISOString(), msgId: 'late-report-0001',
      });
      d = (await api.get(`/api/v1/deployments/${dep.id}`)).body;
      assert.equal(state(0).state, 'active');
      assert.ok(state(0).report, 'the late report is stored');
    });
  });
}
