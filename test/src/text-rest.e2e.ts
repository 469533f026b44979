/**
 * The text product path over REST, on the control plane's embedded defaults (PGlite + Aedes + its own distillation
 * worker): a text data set uploaded as JSONL / CSV (bad rows refused with a 4xx naming the file and line), a
 * distillation job with the fastText teacher (tiny UDHR subset, seconds), the student published with its
 * featurizer and an efev-text eval set, deployed to a device agent (a real child process) that featurizes,
 * benchmarks and reports exactly the accuracy the job measured on the same int8 model.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ControlPlane, startControlPlane } from '@edgefleet/control-plane';
import { tinyUdhr } from '@edgefleet/distill/dist/text/test-factory';
import { AgentProcess, Api, enrollmentToken, startAgentProcess, waitFor } from './support';

type Row = { text: string; label?: string };
const jsonl = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function textForm(name: string, parts: Record<string, { body: string | Uint8Array; file?: string }>, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.set('name', name);
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  for (const [role, p] of Object.entries(parts)) form.set(role, new Blob([p.body]), p.file ?? `${role}.jsonl`);
  return form;
}

describe('text data sets and distillations over REST, to a device (embedded PGlite + Aedes)', { timeout: 300_000 }, () => {
  const run = randomBytes(3).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-text-rest-'));
  let cp: ControlPlane;
  let api: Api;
  let agent: AgentProcess | undefined;
  let train: Row[];
  let testRows: Row[];

  before(async () => {
    const tiny = await tinyUdhr();
    const rows = (part: { texts: string[]; y: Int32Array }) => part.texts.map((text, i) => ({ text, label: tiny.labels[part.y[i]!]! }));
    train = rows(tiny.train);
    testRows = rows(tiny.test);
    cp = await startControlPlane({ PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', MQTT_PORT: '0', ADMIN_API_KEY: `text-rest-admin-${run}-0123456789`, LOG_LEVEL: 'error' });
    api = new Api(cp.apiUrl, cp.adminApiKey);
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await cp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('bad text data gets a clear 4xx naming the file and line; nothing is stored', async () => {
    const refused = async (parts: Parameters<typeof textForm>[1], status: number, message: RegExp, fields?: Record<string, string>) => {
      const r = await api.call('POST', '/datasets', textForm(`bad-${run}`, parts, fields));
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(r.body.message, message);
    };
    const good = { train: { body: jsonl(train) }, test: { body: jsonl(testRows) } };
    await refused({ ...good, train: { body: jsonl([...train.slice(0, 2), { text: '  \t ', label: 'deu' }]) } }, 422, /train\.jsonl: line 3: empty text/);
    const invalid = Buffer.concat([Buffer.from(jsonl(train.slice(0, 1))), Buffer.from('{"text": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('", "label": "fra"}\n')]);
    await refused({ ...good, train: { body: invalid } }, 422, /train\.jsonl: invalid UTF-8 on line 2/);
    await refused({ ...good, test: { body: jsonl([{ text: 'Ceci est un texte.', label: 'xyz' }]) } }, 422, /test\.jsonl: line 1: unknown label "xyz"/);
    await refused({ ...good, test: { body: jsonl([{ text: 'a'.repeat(100_001), label: 'deu' }]) } }, 422, /line 1: text of 100001 characters, at most 100000/);
    await refused({ ...good, labels: { body: '["deu", "deu"]', file: 'labels.json' } }, 422, /labels\.json: expected a JSON array of distinct class names/);
    await refused({ ...good, test: { body: 'body,label\nhello,eng\n', file: 'test.csv' } }, 422, /test\.csv: no "text" column/);
    await refused({ train: good.train }, 400, /needs the train and test parts .*; missing test$/);
    await refused({ ...good, test: { body: gzipSync(jsonl(testRows)) } }, 400, /test is gzip-compressed; text parts are plain UTF-8/);
    await refused(good, 400, /testFraction: not for a text data set/, { testFraction: '0.2' });
    await refused({ ...good, csv: { body: 'label,a\n0,1\n', file: 'data.csv' } }, 400, /give one layout/);
    assert.equal((await api.ok('GET', '/datasets')).total, 0, 'no refused upload left a row');
  });

  test('upload (JSONL train, CSV test) → distillation job with a text teacher → catalogue models with the featurizer → deployed, benchmarked on text, active', async () => {
    const csv = 'text,label\n' + testRows.map((r) => `"${r.text.replace(/"/g, '""')}",${r.label}`).join('\n') + '\n';
    const ds = await api.ok('POST', '/datasets', textForm(`udhr-${run}`, { train: { body: jsonl(train) }, test: { body: csv, file: 'test.csv' } }));
    assert.deepEqual([ds.format, ds.kind, ds.trainRows, ds.testRows, ds.numClasses, ds.sampleShape], ['text', 'text', train.length, testRows.length, 5, []]);
    assert.deepEqual([ds.files.train.text, ds.files.test.text], ['jsonl', 'csv']);

    // Checked before queueing: a text data set takes a text teacher, students that fit the featurizer's vector.
    const post = (body: object) => api.call('POST', '/distillations', { datasetId: ds.id, ...body });
    assert.equal((await post({})).status, 422);
    assert.equal((await post({ textTeacher: 'gpt-9' })).status, 400);
    assert.match((await post({ textTeacher: 'fasttext-lid', students: ['cnn:2-4-8'] })).body.message, /student cnn:2-4-8: text students are MLPs .* 8192-bucket vector/);
    assert.match((await post({ textTeacher: 'fasttext-lid', teacherArch: 'mlp' })).body.message, /a text data set takes a textTeacher/);
    assert.match((await post({ textTeacher: 'openai:http://127.0.0.1:9#m' })).body.message, /remote text teacher http:\/\/127\.0\.0\.1:9 is not allowed/);
    assert.match((await post({ textTeacher: 'fasttext-lid', featurizer: { id: 'hashed-ngrams', version: 2 } })).body.message, /^featurizer: /);

    const featurizer = { id: 'hashed-ngrams', version: 1, charMin: 1, charMax: 3, wordMin: 1, wordMax: 1, seed: 0, buckets: 1024, maxChars: 200 };
    const job = await api.ok('POST', '/distillations', {
      datasetId: ds.id, textTeacher: 'fasttext-lid', featurizer, students: ['mlp:16'], epochs: 15, batchSize: 16, patience: 0,
      evalSamples: 1000, family: `lid-${run}`,
    });
    const done = await waitFor('distillation', async () => {
      const j = await api.ok('GET', `/distillations/${job.id}`);
      return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    }, 180_000);
    assert.equal(done.status, 'succeeded', done.error);
    const student = done.result.metrics.students[0];
    assert.equal(student.name, 'mlp-1024-16-176', 'fastText\'s 176 languages are the classes');
    const models = await Promise.all(done.result.artifactIds.map((id: string) => api.ok('GET', `/models/${id}`)));
    assert.deepEqual(models.map((m) => m.precision).sort(), ['fp16', 'fp32', 'int8']);
    for (const m of models) {
      assert.deepEqual(m.featurizer, featurizer, 'the featurizer read back from the model\'s own metadata');
      assert.equal(m.evalSet.samples, testRows.length);
      assert.equal(m.lineage.teacher.text, 'fasttext-lid');
      assert.equal(m.lineage.teacher.labelSource, 'teacher');
    }
    const int8 = models.find((m) => m.precision === 'int8');

    const token = await enrollmentToken(cp.apiUrl, cp.adminApiKey!, [`text-${run}`], 1);
    agent = startAgentProcess({
      brokerUrl: cp.mqttUrl, deviceId: `txt-${run}`, profile: 'gateway', stateDir: join(dataDir, 'agent'), trustKeyPath: cp.signingPublicKeyPath,
      enroll: { token, httpUrl: cp.httpUrl },
    });
    await waitFor('agent online', async () => (await api.call('GET', `/devices/txt-${run}`)).body?.status === 'online', 30_000);
    const dep = await api.ok('POST', '/deployments', { artifactId: int8.id, deviceIds: [`txt-${run}`], gates: { maxLatencyP95Ms: 100, minAccuracy: Math.max(0, student.int8.accuracy - 0.001) } });
    const deployed = await waitFor('report', async () => {
      const d = await api.ok('GET', `/deployments/${dep.id}`);
      return ['active', 'rejected', 'failed'].includes(d.devices[0].state) ? d : undefined;
    }, 120_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; deployment ${JSON.stringify((await api.ok('GET', `/deployments/${dep.id}`)).devices)}; agent output:\n${agent!.output().slice(-3000)}`);
    });
    const d = deployed.devices[0];
    assert.equal(d.state, 'active', JSON.stringify(d) + agent.output());
    assert.equal(d.report.evalSamples, testRows.length);
    assert.equal(d.report.accuracy, Math.round(student.int8.accuracy * 1e6) / 1e6, 'the device featurizes as the job did, so it scores the same');
  });
});
