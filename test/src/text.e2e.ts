/**
 * End to end for text models: a student distilled here from fastText (tiny UDHR subset, seconds), uploaded with its
 * efev-text eval set, deployed to a device agent (a real child process) through the control plane on its embedded
 * defaults (PGlite + Aedes). The agent featurizes the eval texts with the featurizer from the signed manifest and
 * must measure exactly the accuracy the trainer measured on the same int8 model.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ControlPlane, startControlPlane } from '@edgefleet/control-plane';
import { FEATURIZER_METADATA_KEY, type FeaturizerSpec } from '@edgefleet/contracts';
import { FastTextLidTeacher, distillText, type TextDistillResult } from '@edgefleet/distill';
import { tinyUdhr } from '@edgefleet/distill/dist/text/test-factory';
import { withModelMetadata } from '@edgefleet/onnx';
import { AgentProcess, Api, enrollmentToken, modelForm, startAgentProcess, waitFor } from './support';

const featurizer: FeaturizerSpec = { id: 'hashed-ngrams', version: 1, charMin: 1, charMax: 3, wordMin: 1, wordMax: 1, seed: 0, buckets: 1024, maxChars: 200 };

describe('text model end to end on embedded PGlite + Aedes', { timeout: 240_000 }, () => {
  const run = randomBytes(3).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-text-e2e-'));
  let cp: ControlPlane;
  let api: Api;
  let agent: AgentProcess | undefined;
  let distilled: TextDistillResult;

  before(async () => {
    distilled = await distillText({
      data: await tinyUdhr(), teacher: new FastTextLidTeacher(), featurizer, students: ['mlp:16'], epochs: 15, batchSize: 16, lr: 1e-2,
      patience: 0, threads: 1, latency: false, baseline: false,
    });
    cp = await startControlPlane({ PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: `text-e2e-admin-${run}-0123456789`, LOG_LEVEL: 'error' });
    api = new Api(cp.apiUrl, cp.adminApiKey);
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await cp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a model naming a featurizer nobody can run is refused at upload', async () => {
    const bad = withModelMetadata(distilled.students[0]!.int8!, { [FEATURIZER_METADATA_KEY]: JSON.stringify({ ...featurizer, version: 9 }) });
    const res = await api.call('POST', '/models', modelForm({ file: bad, name: `lid-bad-${run}`, version: '1' }));
    assert.equal(res.status, 422);
    assert.match(JSON.stringify(res.body), /hashed-ngrams version 9 is not supported/);
  });

  test('upload text student + efev-text eval set → deploy → the agent featurizes, benchmarks and reports the trainer\'s accuracy', async () => {
    const student = distilled.metrics.students[0]!;
    const art = await api.ok('POST', '/models', modelForm({ file: distilled.students[0]!.int8!, name: `lid-${run}`, version: '1', precision: 'int8', evalSet: distilled.evalSet }));
    // The broker is closed: the agent enrolls with a token, as the README shows.
    const token = await enrollmentToken(cp.apiUrl, cp.adminApiKey!, [`text-${run}`], 1);
    agent = startAgentProcess({
      brokerUrl: cp.mqttUrl, deviceId: `txt-${run}`, profile: 'gateway', stateDir: join(dataDir, 'agent'), trustKeyPath: cp.signingPublicKeyPath,
      enroll: { token, httpUrl: cp.httpUrl },
    });
    await waitFor('agent online', async () => (await api.call('GET', `/devices/txt-${run}`)).body?.status === 'online', 30_000);
    const dep = await api.ok('POST', '/deployments', { artifactId: art.id, deviceIds: [`txt-${run}`], gates: { maxLatencyP95Ms: 100, minAccuracy: Math.max(0, student.int8!.accuracy - 0.001) } });
    const done = await waitFor('report', async () => {
      const d = await api.ok('GET', `/deployments/${dep.id}`);
      return ['active', 'rejected', 'failed'].includes(d.devices[0].state) ? d : undefined;
    }, 120_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; deployment ${JSON.stringify((await api.ok('GET', `/deployments/${dep.id}`)).devices)}; agent output:\n${agent!.output().slice(-3000)}`);
    });
    const d = done.devices[0];
    assert.equal(d.state, 'active', JSON.stringify(d) + agent.output());
    assert.equal(d.report.evalSamples, distilled.evalSet.length > 0 ? JSON.parse(distilled.evalSet.toString()).samples.length : 0);
    assert.equal(d.report.accuracy, Math.round(student.int8!.accuracy * 1e6) / 1e6, 'device and trainer featurize alike, so they score alike');
  });
});
