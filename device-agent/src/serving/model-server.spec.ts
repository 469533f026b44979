import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../lib/logger';
import { featurize, type FeaturizerSpec } from '@edgefleet/contracts';
import { linearModel, sparseLinearModel } from '../testing/tiny-models';
import { checkServeAddress, InferHttpServer } from './infer-http';
import { InferInputError, ModelServer, NoModelError, type InferenceObserver, type ServedModel } from './model-server';
import { summarizeOutput, toProbabilities } from './output-summary';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A 4 → 3 linear model that always answers class `cls` (its weights route every input to that logit). */
async function modelAnswering(cls: number): Promise<string> {
  const w = new Float32Array(4 * 3);
  for (let i = 0; i < 4; i++) w[i * 3 + cls] = 1;
  const d = await mkdtemp(join(tmpdir(), 'serve-'));
  dirs.push(d);
  const path = join(d, `m${cls}.onnx`);
  await writeFile(path, linearModel({ inputs: 4, outputs: 3, weights: w }));
  return path;
}
const A: ServedModel = { sha256: 'a'.repeat(64), name: 'a' };
const B: ServedModel = { sha256: 'b'.repeat(64), name: 'b' };

function post(address: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

describe('output summary', () => {
  it('turns logits into probabilities and reads top class, margin and entropy', () => {
    const s = summarizeOutput([2, 1, 0]);
    const p = toProbabilities([2, 1, 0]);
    assert.equal(s.topClass, 0);
    assert.ok(Math.abs(s.topProbability - p[0]!) < 1e-12);
    assert.ok(Math.abs(s.margin - (p[0]! - p[1]!)) < 1e-12);
    assert.ok(s.entropy > 0 && s.entropy < Math.log(3));
  });
  it('keeps a distribution as it is', () => {
    const s = summarizeOutput([0.1, 0.7, 0.2]);
    assert.equal(s.topClass, 1);
    assert.equal(s.topProbability, 0.7);
    assert.ok(Math.abs(s.margin - 0.5) < 1e-12);
  });
});

describe('ModelServer', () => {
  it('answers with the active model and refuses bad input with InferInputError', async () => {
    const server = new ModelServer();
    await assert.rejects(server.infer({ input: [1, 1, 1, 1] }), NoModelError);
    await server.activate(A, await modelAnswering(2));
    const r = await server.infer({ input: [1, 2, 3, 4] });
    assert.equal(r.summary.topClass, 2);
    assert.deepEqual(r.output.dims, [1, 3]);
    assert.equal(r.model.sha256, A.sha256);
    await assert.rejects(server.infer({ input: [1, 2, 3] }), InferInputError);
    await assert.rejects(server.infer({ text: 'hello' }), InferInputError);
    await assert.rejects(server.infer({ inputs: { x: { data: ['a' as unknown as number] } } }), InferInputError);
    await server.close();
  });

  it('serves text through the featurizer: a sparse-layout model answers what its dense twin answers', async () => {
    const spec: FeaturizerSpec = { id: 'hashed-ngrams', version: 2, charMin: 1, charMax: 3, wordMin: 1, wordMax: 1, seed: 0, buckets: 128, maxChars: 200, layout: 'sparse' };
    const w = Float32Array.from({ length: spec.buckets * 4 }, (_, i) => Math.sin(i * 12.9898) / 2);
    const dir = await mkdtemp(join(tmpdir(), 'serve-text-'));
    try {
      await writeFile(join(dir, 'sparse.onnx'), sparseLinearModel(spec.buckets, 4, w));
      await writeFile(join(dir, 'dense.onnx'), linearModel({ inputs: spec.buckets, outputs: 4, weights: w }));
      const sparse = new ModelServer();
      await sparse.activate(A, join(dir, 'sparse.onnx'), spec);
      const dense = new ModelServer();
      await dense.activate(A, join(dir, 'dense.onnx'), { ...spec, layout: 'dense' });
      for (const text of ['Alle Menschen sind frei', 'x', '   ']) {
        const [a, b] = [await sparse.infer({ text }), await dense.infer({ text })];
        const want = [0, 1, 2, 3].map((k) => featurize(spec, text).reduce((acc, v, i) => acc + v * w[i * 4 + k]!, 0));
        assert.equal(a.summary.topClass, b.summary.topClass, text);
        assert.equal(a.summary.topClass, want.indexOf(Math.max(...want)), text);
      }
      await sparse.close();
      await dense.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('switches atomically under load: every request succeeds, answers are old then new, never mixed back', async () => {
    const seen: string[] = [];
    let errors = 0;
    const observer: InferenceObserver = { onInference: (m) => seen.push(m.name!), onError: () => errors++ };
    const server = new ModelServer({ observer });
    await server.activate(A, await modelAnswering(0));
    const pathB = await modelAnswering(1);
    const results: Array<{ cls: number; model: string; startedAfterSwitch: boolean }> = [];
    let switched = false;
    const workers = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 150; i++) {
        const startedAfterSwitch = switched;
        const r = await server.infer({ input: [1, 1, 1, 1] });
        results.push({ cls: r.summary.topClass, model: r.model.sha256, startedAfterSwitch });
        if (i % 10 === 0) await new Promise((res) => setImmediate(res));
      }
    });
    const switcher = (async () => {
      await new Promise((res) => setTimeout(res, 20));
      await server.activate(B, pathB);
      switched = true;
    })();
    await Promise.all([...workers, switcher]);
    assert.equal(errors, 0);
    assert.equal(results.length, 8 * 150);
    // Each answer comes from the session that produced it: model A answers class 0, model B class 1.
    for (const r of results) assert.equal(r.cls, r.model === A.sha256 ? 0 : 1);
    assert.ok(results.some((r) => r.model === A.sha256), 'some requests ran on the old model');
    assert.ok(results.some((r) => r.model === B.sha256), 'some requests ran on the new model');
    // Requests that started after activate() resolved all went to the new model.
    assert.ok(results.filter((r) => r.startedAfterSwitch).every((r) => r.model === B.sha256));
    assert.equal(seen.length, results.length);
    await server.close();
  });
});

describe('InferHttpServer', () => {
  it('serves POST /v1/infer on loopback with 400/404/503 for the caller\'s mistakes', async () => {
    const models = new ModelServer();
    const http = new InferHttpServer(models, silentLogger);
    const address = await http.listen({ host: '127.0.0.1', port: 0 });
    try {
      assert.equal((await post(address, '/v1/infer', { input: [1, 1, 1, 1] })).status, 503);
      await models.activate(A, await modelAnswering(1));
      const ok = await post(address, '/v1/infer', { input: [1, 1, 1, 1] });
      assert.equal(ok.status, 200);
      assert.equal((ok.body['summary'] as { topClass: number }).topClass, 1);
      assert.equal((await post(address, '/v1/infer', '{not json')).status, 400);
      assert.equal((await post(address, '/v1/infer', { input: [1] })).status, 400);
      assert.equal((await post(address, '/v1/other', {})).status, 404);
    } finally {
      await http.close();
      await models.close();
    }
  });

  it('refuses a non-loopback address', () => {
    assert.match(checkServeAddress({ host: '0.0.0.0', port: 8470 }) ?? '', /not a loopback/);
    assert.equal(checkServeAddress({ host: '127.0.0.1', port: 8470 }), undefined);
    assert.equal(checkServeAddress({ socketPath: '/tmp/x.sock' }), undefined);
  });
});
