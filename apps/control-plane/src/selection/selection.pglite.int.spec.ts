/**
 * Integration: GET /profiles and GET /profiles/:id/recommendation over HTTP, on the whole control plane with
 * PGlite. Devices and models go in through the REST API; the reports devices would send over MQTT are written
 * with Prisma (what DeploymentsService.recordReport stores), with latencies from a known line per class.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrismaClient } from '@edgefleet/db';
import { GraphBuilder } from '@edgefleet/onnx';
import { startControlPlane, type ControlPlane } from '../bootstrap';
import { SelectionService } from './selection.service';
import { ApiClient, profile } from '../testing/factories';

const FEATURES = 64;
const CLASSES = 10;

/** An MLP FEATURES-hidden-CLASSES with MatMul + Add; MACs are not stored on upload, so selection counts them. */
function mlpModel(hidden: number): Buffer {
  const g = new GraphBuilder(`mlp-${hidden}`);
  const x = g.input('x', 'float32', ['batch', FEATURES]);
  const w = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.05);
  const h = g.op('Relu', [g.op('Add', [g.op('MatMul', [x, g.initializer('w1', w(FEATURES * hidden), [FEATURES, hidden])]), g.initializer('b1', w(hidden), [hidden])])]);
  const y = g.op('Add', [g.op('MatMul', [h, g.initializer('w2', w(hidden * CLASSES), [hidden, CLASSES])]), g.initializer('b2', w(CLASSES), [CLASSES])]);
  g.output(y, 'float32', ['batch', CLASSES], 'logits');
  return Buffer.from(g.toModel());
}
const macsOf = (hidden: number) => FEATURES * hidden + hidden * CLASSES;

describe('profiles and recommendations over HTTP (PGlite)', () => {
  let dataDir: string;
  let cp: ControlPlane;
  let api: ApiClient;
  let rpiClass: string;
  const models = new Map<number, string>(); // hidden width → artifact id

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-selection-'));
    cp = await startControlPlane({ PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir });
    api = new ApiClient(cp.httpUrl, cp.adminApiKey);
    const devices = [
      { id: 'pi-1', profile: profile({ latencyBudgetMs: 100 }) },
      { id: 'pi-2', profile: profile({ latencyBudgetMs: 100 }) },
      { id: 'gw-1', profile: profile({ name: 'gateway', arch: 'x64', cores: 4, clockMhz: 2500, simd: ['avx2'] }) },
    ];
    for (const d of devices) assert.equal((await api.post('/api/v1/devices', { ...d, tags: ['lab'] })).status, 201);
    rpiClass = (await api.get('/api/v1/devices/pi-1')).body.profileClass;
    const prisma = cp.app.get(PrismaClient);
    const accuracy: Record<number, number> = { 512: 0.9, 128: 0.87, 32: 0.8 };
    for (const hidden of [512, 128, 32]) {
      const up = await api.uploadModel({ name: `mlp-${hidden}`, version: '1.0.0', precision: 'fp32', family: 'fm' }, mlpModel(hidden));
      assert.equal(up.status, 201, JSON.stringify(up.body));
      models.set(hidden, up.body.id);
      await prisma.modelArtifact.update({ where: { id: up.body.id }, data: { metrics: { accuracy: accuracy[hidden]! } } });
    }
    // Reports: rpi4 at 0.2 ms + 1 ms per 10k MACs; the gateway 5× faster. Two reports per (device, model).
    const line = (deviceId: string, macs: number) => (deviceId.startsWith('pi') ? 1 : 0.2) * (0.2 + macs / 10_000);
    for (const deviceId of ['pi-1', 'pi-2', 'gw-1']) {
      for (const [hidden, artifactId] of models) {
        for (const jitter of [0.97, 1.03]) {
          const p95 = line(deviceId, macsOf(hidden)) * jitter;
          await prisma.benchmarkReport.create({
            data: {
              deviceId, artifactId, latencyP50Ms: p95 * 0.8, latencyP95Ms: p95, latencyP99Ms: p95 * 1.1, peakRssMb: 80 + hidden / 64, modelMemoryMb: 20 + hidden / 64,
              accuracy: accuracy[hidden]!, runs: 50, passed: true, simulated: true, details: { slowdownFactor: 3.46 },
            },
          });
        }
      }
    }
  });

  after(async () => {
    await cp?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lists the hardware classes with an example profile and device count', async () => {
    const res = await api.get('/api/v1/profiles');
    assert.equal(res.status, 200);
    assert.equal(res.body.items.length, 2);
    const rpi = res.body.items.find((c: any) => c.profileClass === rpiClass);
    assert.equal(rpi.deviceCount, 2);
    assert.equal(rpi.example.name, 'rpi4');
    assert.equal((await new ApiClient(cp.httpUrl).get('/api/v1/profiles')).status, 401);
  });

  it('chooses the most accurate variant that fits, with every candidate explained and MACs counted from the graph', async () => {
    // rpi4: mlp-512 ≈ 3.9 ms, mlp-128 ≈ 1.0 ms, mlp-32 ≈ 0.4 ms.
    const res = await api.get(`/api/v1/profiles/${rpiClass}/recommendation?family=fm&maxLatencyP95Ms=2&maxMemoryMb=200`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const r = res.body;
    assert.equal(r.decision, 'use-existing');
    assert.equal(r.chosen.variantId, models.get(128));
    assert.equal(r.candidates.length, 3);
    const big = r.candidates.find((c: any) => c.variantId === models.get(512));
    assert.equal(big.macs, macsOf(512));
    assert.equal(big.fits, false);
    assert.ok(Math.abs(big.predictedLatencyP95Ms - (0.2 + macsOf(512) / 10_000)) < 0.3, `predicted ${big.predictedLatencyP95Ms}`);
    assert.match(big.reasons.join(' | '), /> 2 ms.*rejected/);
    assert.equal(r.classModel.source, 'class-fit');
  });

  it('counts MACs at upload, and a recommendation writes nothing and refits only when a report arrives', async () => {
    const prisma = cp.app.get(PrismaClient);
    const selection = cp.app.get(SelectionService);
    for (const [hidden, id] of models) {
      assert.equal(Number((await prisma.modelArtifact.findUniqueOrThrow({ where: { id } })).macs), macsOf(hidden), 'MACs stored with the upload');
    }
    // A database-wide fingerprint of every row the GET could write: unchanged by it.
    const fingerprint = async () => JSON.stringify(await prisma.$queryRaw`SELECT
      (SELECT string_agg(id || ':' || coalesce(macs::text, '-') || ':' || coalesce(metrics::text, '-'), ',' ORDER BY id) FROM "ModelArtifact") AS a,
      (SELECT count(*)::int FROM "BenchmarkReport") AS r, (SELECT count(*)::int FROM "AuditEvent") AS e`);
    const before = await fingerprint();
    const fits = selection.fitCount;
    for (const budget of [2, 3, 5]) {
      assert.equal((await api.get(`/api/v1/profiles/${rpiClass}/recommendation?family=fm&maxLatencyP95Ms=${budget}`)).status, 200);
    }
    assert.equal(await fingerprint(), before, 'GET recommendation wrote to the database');
    assert.ok(selection.fitCount - fits <= 1, `fitted ${selection.fitCount - fits} times for 3 requests on unchanged data`);
    const settled = selection.fitCount;
    await prisma.benchmarkReport.create({
      data: { deviceId: 'pi-1', artifactId: models.get(32)!, latencyP95Ms: 0.5, peakRssMb: 80, modelMemoryMb: 20, accuracy: 0.8, runs: 50, passed: true, details: {} },
    });
    await new Promise((r) => setTimeout(r, 1_100)); // a report written behind this process's back is seen after the watermark's TTL
    assert.equal((await api.get(`/api/v1/profiles/${rpiClass}/recommendation?family=fm&maxLatencyP95Ms=2`)).status, 200);
    assert.equal(selection.fitCount, settled + 1, 'a new report is a new fit');
  });

  it('defaults the latency budget to the profile, proposes a student when none fits, and says when none can', async () => {
    const dflt = (await api.get(`/api/v1/profiles/${rpiClass}/recommendation?family=fm`)).body;
    assert.equal(dflt.budget.maxLatencyP95Ms, 100);
    assert.equal(dflt.chosen.variantId, models.get(512));

    const tight = (await api.get(`/api/v1/profiles/${rpiClass}/recommendation?family=fm&maxLatencyP95Ms=0.35`)).body;
    assert.equal(tight.decision, 'distill-student', JSON.stringify(tight.reasons));
    assert.ok(tight.student.predictedLatencyP95Ms <= 0.35 * 0.85);
    assert.match(tight.student.student, /^(mlp|cnn):/);
    assert.ok(tight.candidates.every((c: any) => !c.fits));

    const impossible = (await api.get(`/api/v1/profiles/${rpiClass}/recommendation?family=fm&maxLatencyP95Ms=0.01`)).body;
    assert.equal(impossible.decision, 'no-feasible-student');
    assert.equal(impossible.closest.variantId, models.get(32));
    assert.match(impossible.reasons[0], /no feasible student/);
  });

  it('validates the query and the class id', async () => {
    const bad = await api.get(`/api/v1/profiles/${rpiClass}/recommendation?minAccuracy=2&maxLatencyP95Ms=-1&colour=red`);
    assert.equal(bad.status, 400);
    assert.ok(bad.body.details.length >= 3, JSON.stringify(bad.body.details));
    assert.equal((await api.get('/api/v1/profiles/0000000000000000/recommendation')).status, 404);
  });
});
