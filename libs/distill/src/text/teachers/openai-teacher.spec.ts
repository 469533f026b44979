/**
 * The OpenAI-compatible teacher against a local server started here that serves a real model — the Universal
 * Sentence Encoder lite — behind exactly `POST /v1/embeddings` (OpenAI's request and response shape). Nothing is
 * canned: the vectors the teacher receives are the encoder's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spamAssassinSplit } from '../sources/spam-assassin';
import type { TextSplit } from '../text-dataset';
import { openAiEmbedder, useLiteEmbedder } from './embedders';
import { parseTextTeacher } from './index';

async function serveEmbeddings(): Promise<{ url: string; server: Server; calls: { model: string; n: number }[]; failNext: (status: number) => void }> {
  const use = await useLiteEmbedder();
  const calls: { model: string; n: number }[] = [];
  let fail: number | undefined;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      void (async () => {
        const send = (status: number, o: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
        if (req.method !== 'POST' || req.url !== '/v1/embeddings') return send(404, { error: { message: 'not found' } });
        if (fail) { const s = fail; fail = undefined; return send(s, { error: { message: 'try again' } }); }
        const { model, input } = JSON.parse(body) as { model: string; input: string | string[] };
        if (model !== 'use-lite') return send(400, { error: { message: `model ${model} not found` } });
        const texts = typeof input === 'string' ? [input] : input;
        calls.push({ model, n: texts.length });
        const v = await use.embed(texts);
        send(200, { object: 'list', model, data: texts.map((_, i) => ({ object: 'embedding', index: i, embedding: Array.from(v.subarray(i * 512, (i + 1) * 512)) })), usage: { prompt_tokens: 0, total_tokens: 0 } });
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, calls, failNext: (s) => { fail = s; } };
}

function tinySpam(): TextSplit {
  const raw = spamAssassinSplit();
  const pick = (rows: { text: string; label: string }[], per: number) => ['ham', 'spam'].flatMap((l) => rows.filter((r) => r.label === l).slice(0, per));
  const rows = (r: { text: string; label: string }[]) => ({ texts: r.map((x) => x.text.slice(0, 160)), y: Int32Array.from(r, (x) => (x.label === 'spam' ? 1 : 0)) });
  return { train: rows(pick(raw.train, 16)), test: rows(pick(raw.test, 6)), labels: ['ham', 'spam'], source: 'spam (tiny)' };
}

test('openai:<url>#<model> teacher: real encoder behind /v1/embeddings, head fitted on its vectors, retries 5xx, clear 4xx', { timeout: 180_000 }, async () => {
  const srv = await serveEmbeddings();
  try {
    const direct = await (await useLiteEmbedder()).embed(['hello world']);
    const remote = await openAiEmbedder(`${srv.url}#use-lite`);
    assert.equal(remote.dim, 512, 'width learnt from the server');
    srv.failNext(503);
    assert.deepEqual(await remote.embed(['hello world']), direct, 'same vectors as the encoder itself, after one retried 503');

    const data = tinySpam();
    const out = await parseTextTeacher(`openai:${srv.url}/v1#use-lite`).label(data, { seed: 1, threads: 1 });
    assert.deepEqual(out.classes, ['ham', 'spam']);
    assert.equal(out.test.length, data.test.texts.length * 2);
    for (let i = 0; i < data.test.texts.length; i++) assert.ok(Math.abs(out.test[2 * i]! + out.test[2 * i + 1]! - 1) < 1e-5, 'probabilities');
    const correct = data.test.y.reduce((n, y, i) => n + ((out.test[2 * i + 1]! > 0.5 ? 1 : 0) === y ? 1 : 0), 0);
    assert.ok(correct >= 8, `the head on the served embeddings got ${correct} of ${data.test.texts.length} held-out emails right`);
    assert.ok(srv.calls.every((c) => c.n <= 32), 'batched');
    await assert.rejects(openAiEmbedder(`${srv.url}#gpt-nonexistent`), /answered 400: .*gpt-nonexistent not found/);
  } finally {
    srv.server.close();
  }
});
