import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { NotFoundError } from '@edgefleet/platform';
import { streamChanges } from './sse';

/** A real Fastify server; the "resource" is an array of states the test walks through, one per poll. */
describe('server-sent events', () => {
  let app: FastifyInstance;
  let url: string;
  const states: Array<{ status: string; progress: number; heartbeatAt?: number }> = [
    { status: 'running', progress: 1 },
    { status: 'running', progress: 1, heartbeatAt: 1 }, // a worker heartbeat: the row changed, its view did not
    { status: 'running', progress: 1, heartbeatAt: 2 },
    { status: 'running', progress: 2 },
    { status: 'running', progress: 2 },
    { status: 'done', progress: 2 },
  ];

  before(async () => {
    app = Fastify();
    app.get('/things/:id/events', async (req, reply) => {
      const { id } = req.params as { id: string };
      let i = 0;
      try {
        await streamChanges(req, reply, {
          read: async () => {
            if (id !== 'known') throw new NotFoundError('thing', id);
            return states[Math.min(i++, states.length - 1)]!;
          },
          // Each read is a new row (as a job's updatedAt moves on every heartbeat); the stream must still send views that changed only.
          watch: async function* (signal) {
            for (const s of states) {
              if (signal.aborted) return;
              await new Promise((r) => setTimeout(r, 40));
              yield s;
            }
          },
          view: (s) => ({ status: s.status, progress: s.progress }),
          isFinal: (s) => s.status === 'done',
          heartbeatMs: 60,
        });
      } catch (err) {
        if (err instanceof NotFoundError) return reply.code(404).send({ message: err.message });
        throw err;
      }
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => app.close());

  it('sends an event only when the view changed, and heartbeat comments while nothing does', async () => {
    const text = await (await fetch(`${url}/things/known/events`)).text();
    const blocks = text.split('\n\n').filter(Boolean);
    const events = blocks.filter((b) => !b.startsWith(':')).map((b) => ({ event: /^event: (.*)$/m.exec(b)![1], data: JSON.parse(/^data: (.*)$/m.exec(b)![1]!) }));
    assert.deepEqual(events, [
      { event: 'progress', data: { status: 'running', progress: 1 } },
      { event: 'progress', data: { status: 'running', progress: 2 } },
      { event: 'end', data: { status: 'done', progress: 2 } },
    ]);
    assert.ok(blocks.some((b) => b === ': heartbeat'), `a heartbeat comment during the silent stretches: ${JSON.stringify(blocks)}`);
  });

  it('answers 404 before the stream starts when the resource does not exist', async () => {
    const res = await fetch(`${url}/things/unknown/events`);
    assert.equal(res.status, 404);
    assert.doesNotMatch(res.headers.get('content-type') ?? '', /event-stream/);
  });
});

describe('server-sent events re-check the key that opened them', () => {
  let app: FastifyInstance;
  let url: string;
  let revoked = false;

  before(async () => {
    app = Fastify();
    // What ApiKeyGuard leaves on the request (its own spec covers it): a check that the key still may read this.
    app.addHook('onRequest', async (req) => {
      (req as typeof req & { stillAllowed?: () => Promise<void> }).stillAllowed = async () => {
        if (revoked) throw new Error('invalid, expired or revoked API key');
      };
    });
    app.get('/things/:id/events', async (req, reply) => {
      let n = 0;
      await streamChanges(req, reply, {
        read: async () => ({ n: n++ }),
        // A resource that changes every 30 ms and is never final: only the key's revocation ends this stream.
        watch: async function* (signal) {
          while (!signal.aborted) {
            await new Promise((r) => setTimeout(r, 30));
            yield { n: n++ };
          }
        },
        view: (s) => s,
        isFinal: () => false,
        heartbeatMs: 60,
      });
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => app.close());

  it('a stream whose key is revoked while it is open ends with an error event, and sends nothing after it', async () => {
    const res = await fetch(`${url}/things/known/events`);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /event: progress/);
    revoked = true;
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    const blocks = rest.split('\n\n').filter(Boolean);
    assert.match(blocks.at(-1)!, /^event: error\ndata: .*revoked API key/);
  });
});
