import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempPostgresDatabase, PostgresGate, TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { startControlPlane, type ControlPlane } from '@edgefleet/control-plane';
import { ApiClient } from '@edgefleet/control-plane/dist/testing/factories';
import { syntheticCsv, uploadCsvDataset, waitForStatus } from '@edgefleet/control-plane/dist/distillations/testing/distillation-fixtures';
import { Distiller, startDistiller } from '@edgefleet/distiller/dist/distiller';

const gate = new PostgresGate();

/** Starts `node dist/main.js` and resolves with its worker id once it waits for jobs. */
async function spawnDistiller(env: Record<string, string>): Promise<{ child: ChildProcess; workerId: string }> {
  const child = spawn(process.execPath, [require.resolve('@edgefleet/distiller')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const workerId = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /distiller (\S+) waiting for distillation jobs/.exec(out);
      if (m) {
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume(); // keep draining so the child never blocks on a full pipe
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`distiller exited with ${code} before it was ready: ${out}`)));
  });
  return { child, workerId };
}

describe('standalone distillers on PostgreSQL', () => {
  let pg: TempPostgresDatabase | undefined;
  let dir: string;
  let cp: ControlPlane;
  let api: ApiClient;
  const distillers: Distiller[] = [];
  let child: ChildProcess | undefined;
  let datasetId: string;
  let env: Record<string, string>;

  before(async () => {
    await gate.probe();
    pg = await createTempPostgresDatabase().catch(() => undefined);
    if (!pg) return;
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-distiller-'));
    env = { DATABASE_URL: pg.url, DATA_DIR: dir, LOG_LEVEL: 'warn', WORKER_LEASE_MS: '1500', WORKER_HEARTBEAT_MS: '300', WORKER_POLL_MS: '100', DISTILL_THREADS: '1' };
    // The control plane only queues here: every job must be run by a distiller.
    cp = await startControlPlane({ PORT: '0', MQTT_PORT: '0', EMBEDDED_WORKER: 'false', ...env });
    api = new ApiClient(cp.httpUrl, cp.adminApiKey);
    const ds = await uploadCsvDataset(api, 'synthetic', syntheticCsv(), { testFraction: '0.25', splitSeed: '3' });
    assert.equal(ds.status, 201);
    datasetId = ds.body.id;
  });
  after(async () => {
    child?.kill('SIGKILL');
    for (const d of distillers) await d.close();
    await cp?.close();
    await pg?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a distiller process killed mid-job: its job is retried by another distiller once the lease expires', async (t) => {
    if (gate.skipped(t)) return;
    const spawned = await spawnDistiller(env);
    child = spawned.child;
    const job = (await api.post('/api/v1/distillations', { datasetId, students: ['mlp:8'], epochs: 500, teacherEpochs: 500, batchSize: 8, patience: 0 })).body;
    await waitForStatus(api, job.id, ['running'], 15_000, (j) => j.worker === spawned.workerId && j.progress?.phase === 'training');
    child.kill('SIGKILL');
    await once(child, 'exit');
    const survivor = await startDistiller(env);
    distillers.push(survivor);
    const retried = await waitForStatus(api, job.id, ['running'], 10_000, (j) => j.worker === survivor.workerId && j.progress?.phase === 'training');
    assert.equal(retried.attempts, 2);
    assert.equal((await api.post(`/api/v1/distillations/${job.id}/cancel`)).body.outcome, 'cancel-requested');
    await waitForStatus(api, job.id, ['cancelled'], 10_000);
  });

  it('two distillers share the queue: every job runs once and publishes artifacts naming its worker', async (t) => {
    if (gate.skipped(t)) return;
    distillers.push(await startDistiller(env));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api.post('/api/v1/distillations', { datasetId, students: ['mlp:16'], epochs: 3, teacherEpochs: 1, seed: i, family: `pg-${i}`, evalSamples: 10 });
      assert.equal(r.status, 201);
      ids.push(r.body.id);
    }
    const workers = new Set(distillers.map((d) => d.workerId));
    for (const id of ids) {
      const done = await waitForStatus(api, id, ['succeeded', 'failed'], 30_000);
      assert.equal(done.status, 'succeeded', done.error);
      assert.equal(done.attempts, 1);
      assert.ok(workers.has(done.worker), `${done.worker} is one of the distillers`);
      const models = (await api.get(`/api/v1/models?family=${done.request.family}`)).body;
      assert.equal(models.total, 4, 'teacher + fp32/int8/fp16 student');
    }
  });
});
