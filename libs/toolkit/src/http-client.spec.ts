import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient } from './http-client';

/** A real HTTP server that echoes what it got and answers in the type the path names. */
async function withServer(fn: (base: string, seen: IncomingMessage[]) => Promise<void>): Promise<void> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ got: body, type: req.headers['content-type'] ?? null }));
      else if (req.url === '/text') res.writeHead(200, { 'content-type': 'text/plain' }).end('metric 1\n');
      else if (req.url === '/bytes') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 1, 2]));
      else if (req.url === '/broken-json') res.writeHead(502, { 'content-type': 'application/json' }).end('<html>bad gateway</html>');
      else res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not here"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

test('a body is sent as JSON with the Bearer key; the answer is parsed by its content type', async () => {
  await withServer(async (base, seen) => {
    const api = new HttpClient(base, 'k-1');
    const r = await api.post('/json', { a: 1 });
    assert.deepEqual(r.body, { got: '{"a":1}', type: 'application/json' });
    assert.equal(seen[0]!.headers.authorization, 'Bearer k-1');
    assert.equal((await api.get('/text')).body, 'metric 1\n');
    assert.deepEqual((await api.get('/bytes')).body, Buffer.from([0, 1, 2]));
    assert.equal((await api.get('/broken-json')).body, '<html>bad gateway</html>', 'JSON that is not JSON comes back as text');
  });
});

test('withKey keeps the class and swaps the key; no key sends no authorization', async () => {
  class Sub extends HttpClient {}
  await withServer(async (base, seen) => {
    const anon = new Sub(base, 'k-1').withKey(undefined);
    assert.ok(anon instanceof Sub);
    await anon.get('/json');
    assert.equal(seen[0]!.headers.authorization, undefined);
  });
});

test('ok returns the body of a success and throws with method, path, status and body otherwise', async () => {
  await withServer(async (base) => {
    const api = new HttpClient(base);
    assert.deepEqual(await api.ok('GET', '/json'), { got: '', type: null });
    await assert.rejects(api.ok('DELETE', '/nope'), /DELETE \/nope → 404 \{"message":"not here"\}/);
  });
});
