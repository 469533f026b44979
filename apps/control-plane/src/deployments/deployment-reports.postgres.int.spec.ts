/**
 * Many devices report on one deployment at the same moment, on the real PostgreSQL: every report is stored and
 * the deployment rolls up exactly once to `succeeded`. (A BenchmarkReport insert holds a KEY SHARE lock on its
 * deployment; taking the roll-up's FOR UPDATE after it made two concurrent reports deadlock, and one was lost.)
 * Reports go straight to DeploymentsService, as the MQTT handler calls it; no broker is involved in what is tested.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempPostgresDatabase, PostgresGate, TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import type { ReportMessage } from '@edgefleet/contracts';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { DeploymentsService } from './deployment.service';
import { ApiClient, deviceBody, evalSetFor, tinyClassifier } from '../testing/factories';

const gate = new PostgresGate();
const DEVICES = 12;

describe('concurrent device reports on PostgreSQL', () => {
  let pg: TempPostgresDatabase | undefined;
  let dir = '';
  let cp: ControlPlane | undefined;

  before(async () => {
    await gate.probe();
    pg = await createTempPostgresDatabase().catch(() => undefined);
    if (!pg) return;
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-reports-'));
    cp = await startControlPlane({ PORT: '0', MQTT_PORT: '0', DATA_DIR: dir, DATABASE_URL: pg.url, LOG_LEVEL: 'error', EMBEDDED_WORKER: 'false', AUTOPILOT_ENABLED: 'false' });
  });
  after(async () => {
    await cp?.close();
    await pg?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`${DEVICES} simultaneous reports: all stored, deployment succeeded once`, async (t) => {
    if (gate.skipped(t)) return;
    const api = new ApiClient(cp!.httpUrl, cp!.adminApiKey);
    const ids: string[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const r = await api.post('/api/v1/devices', deviceBody({ tags: ['burst'] }));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids.push(r.body.id);
    }
    const model = await api.uploadModel({ name: 'burst', version: '1' }, tinyClassifier(), evalSetFor());
    assert.equal(model.status, 201, JSON.stringify(model.body));
    const dep = await api.post('/api/v1/deployments', { artifactId: model.body.id, tags: ['burst'] });
    assert.equal(dep.status, 201, JSON.stringify(dep.body));

    const report = (): ReportMessage => ({
      v: 1, deploymentId: dep.body.id, artifactSha256: model.body.sha256, outcome: 'activated',
      latency: { p50Ms: 0.1, p95Ms: 0.2, p99Ms: 0.3, meanMs: 0.12, minMs: 0.05, maxMs: 0.4 },
      runs: 100, warmupRuns: 10, accuracy: 0.9, evalSamples: 8, inputSource: 'eval-set',
      gateResults: [], simulated: false, measuredAt: new Date().toISOString(),
    });
    const service = cp!.app.get(DeploymentsService);
    const results = await Promise.allSettled(ids.map((id) => service.recordReport(id, report())));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason));
    assert.deepEqual(failures, [], 'no report lost');

    const detail = (await api.get(`/api/v1/deployments/${dep.body.id}`)).body;
    assert.equal(detail.status, 'succeeded');
    assert.equal(detail.devices.filter((d: { state: string; report: unknown }) => d.state === 'active' && d.report).length, DEVICES);
  });
});
