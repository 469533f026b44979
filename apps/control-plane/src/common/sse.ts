import type { FastifyReply, FastifyRequest } from 'fastify';

/** One server-sent event. */
export interface SseMessage {
  event: string;
  id?: string | number;
  data: unknown;
}

/**
 * Answers `req` with a text/event-stream of the messages `open` yields, until it returns or the client goes away
 * (its signal then fires). An error after the stream started is sent as an `error` event, then the stream ends.
 * Callers check that the resource exists first, so a 404 is still a normal JSON error.
 */
export async function streamSse(req: FastifyRequest, reply: FastifyReply, open: (signal: AbortSignal) => AsyncIterable<SseMessage>): Promise<void> {
  const closed = new AbortController();
  req.raw.on('close', () => closed.abort());
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-correlation-id': String(req.id) });
  try {
    for await (const m of open(closed.signal)) {
      res.write(`event: ${m.event}\n${m.id === undefined ? '' : `id: ${m.id}\n`}data: ${JSON.stringify(m.data)}\n\n`);
    }
  } catch (err) {
    res.write(`event: error\ndata: ${JSON.stringify({ message: err instanceof Error ? err.message : String(err) })}\n\n`);
  } finally {
    res.end();
  }
}

/**
 * Reads a row every `intervalMs` and yields it whenever its `stamp` changes, until `done(row)` or `signal`. Polls
 * the database rather than listening in-process: the change may be written by another control plane or worker.
 */
export async function* pollChanges<T>(read: () => Promise<T>, stamp: (row: T) => string, done: (row: T) => boolean, signal: AbortSignal, intervalMs = 500): AsyncGenerator<T> {
  let last = '';
  while (!signal.aborted) {
    const row = await read();
    const s = stamp(row);
    if (s !== last) {
      last = s;
      yield row;
    }
    if (done(row)) return;
    await new Promise<void>((resolve) => {
      const wake = () => { clearTimeout(t); signal.removeEventListener('abort', wake); resolve(); };
      const t = setTimeout(wake, intervalMs);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}
