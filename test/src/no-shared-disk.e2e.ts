/**
 * Scale-out without a shared disk (issue 10): two control planes and one distillation worker on one PostgreSQL
 * and one Mosquitto (127.0.0.1:5432 / :1883, run under the suite lock), each process with its OWN empty DATA_DIR.
 * Artifacts live in the database (ARTIFACT_STORE's default with DATABASE_URL); the only directory the control
 * planes share is SIGNING_KEY_DIR — the signing key, a secret every replica mounts. A data set uploaded to one
 * control plane is distilled by the worker, the student is deployed through the other control plane to a real
 * agent process, and it becomes active. Nothing is mocked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane, startControlPlane } from '@edgefleet/control-plane';
import { ApiClient } from '@edgefleet/control-plane/dist/testing/factories';
import { syntheticCsv, uploadCsvDataset, waitForStatus } from '@edgefleet/control-plane/dist/distillations/testing/distillation-fixtures';
import { Distiller, startDistiller } from '@edgefleet/distiller/dist/distiller';
import { createTempPostgresDatabase, TempPostgresDatabase } from '@edgefleet/db/dist/testing';
import { AgentProcess, enrollmentToken, sharedServicesMissing, startAgentProcess, waitFor } from './support';

describe('two control planes and a worker on PostgreSQL, each with its own empty DATA_DIR', { timeout: 180_000 }, () => {
  const run = randomBytes(3).toString('hex');
  const root = mkdtempSync(join(tmpdir(), 'edgefleet-noshare-'));
  const dirs = { a: join(root, 'cp-a'), b: join(root, 'cp-b'), worker: join(root, 'worker'), keys: join(root, 'signing-keys'), agent: join(root, 'agent') };
  let skip: string | undefined;
  let pg: TempPostgresDatabase | undefined;
  const cps: ControlPlane[] = [];
  let distiller: Distiller | undefined;
  let agent: AgentProcess | undefined;

  before(async () => {
    skip = await sharedServicesMissing();
    if (skip) return;
    pg = await createTempPostgresDatabase();
    const shared = { DATABASE_URL: pg.url, LOG_LEVEL: 'error', WORKER_POLL_MS: '100', DISTILL_THREADS: '1' };
    for (const dir of [dirs.a, dirs.b]) {
      cps.push(await startControlPlane({
        PATH: process.env.PATH, ...shared, DATA_DIR: dir, SIGNING_KEY_DIR: dirs.keys, PORT: '0', MQTT_URL: 'mqtt://127.0.0.1:1883',
        EMBEDDED_WORKER: 'false', ADMIN_API_KEY: `noshare-admin-key-${run}-0123456789`,
      }));
    }
    distiller = await startDistiller({ ...shared, DATA_DIR: dirs.worker });
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await distiller?.close();
    for (const cp of cps) await cp.close();
    await pg?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('upload on A → distilled by the worker → deployed through B → active on a real agent', async (t) => {
    if (skip) return t.skip(skip);
    const [a, b] = cps.map((cp) => new ApiClient(cp.httpUrl, cp.adminApiKey)) as [ApiClient, ApiClient];
    for (const cp of cps) assert.equal(cp.config.artifactStore, 'database', 'the default with DATABASE_URL');

    const ds = await uploadCsvDataset(a, `noshare-${run}`, syntheticCsv(), { testFraction: '0.25', splitSeed: '3' });
    assert.equal(ds.status, 201, JSON.stringify(ds.body));
    const job = (await a.post('/api/v1/distillations', { datasetId: ds.body.id, students: ['mlp:8'], epochs: 3, teacherEpochs: 1, evalSamples: 10, family: `noshare-${run}` })).body;
    const done = await waitForStatus(b, job.id, ['succeeded', 'failed'], 60_000);
    assert.equal(done.status, 'succeeded', done.error);
    assert.equal(done.worker, distiller!.workerId, 'run by the standalone worker, not a control plane');

    const variants = await Promise.all((done.result.artifactIds as string[]).map(async (id) => (await b.get(`/api/v1/models/${id}`)).body));
    const fp32 = variants.find((m) => m.precision === 'fp32');
    assert.ok(fp32, JSON.stringify(variants));
    // A never held the model on disk: its download comes from the database, byte for byte.
    const bytes = (await a.get(`/api/v1/models/${fp32.id}/content`)).body as Buffer;
    assert.equal(createHash('sha256').update(bytes).digest('hex'), fp32.sha256);

    const token = await enrollmentToken(cps[1]!.apiUrl, cps[1]!.adminApiKey!, [`noshare-${run}`]);
    const deviceId = `noshare-${run}`;
    agent = startAgentProcess({ brokerUrl: 'mqtt://127.0.0.1:1883', deviceId, profile: 'gateway', stateDir: dirs.agent, trustKeyPath: cps[1]!.signingPublicKeyPath, enroll: { token, httpUrl: cps[1]!.httpUrl } });
    await waitFor('the agent online', async () => (await b.get(`/api/v1/devices/${deviceId}`)).body.status === 'online', 30_000);
    const dep = (await b.post('/api/v1/deployments', { artifactId: fp32.id, deviceIds: [deviceId] })).body;
    const finished = await waitFor(`deployment ${dep.id}`, async () => {
      const d = (await a.get(`/api/v1/deployments/${dep.id}`)).body;
      return ['succeeded', 'failed'].includes(d.status) ? d : undefined;
    }, 60_000);
    assert.equal(finished.status, 'succeeded', JSON.stringify(finished.devices) + agent.output());
    assert.equal(finished.devices[0].state, 'active');
    assert.equal((await a.get(`/api/v1/devices/${deviceId}`)).body.activeArtifactId, fp32.id);

    // No process wrote the local store: each DATA_DIR holds only its own cache (and A's and B's PGlite-free dirs).
    for (const dir of [dirs.a, dirs.b, dirs.worker]) assert.equal(existsSync(join(dir, 'artifacts')), false, `${dir}/artifacts`);
    assert.ok(readdirSync(join(dirs.worker, 'artifact-cache')).length > 0, 'the worker read the data set through its own cache');
  });
});
