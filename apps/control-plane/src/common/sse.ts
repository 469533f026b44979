import type { FastifyReply, FastifyRequest } from 'fastify';

/** One server-sent event. */
export interface SseMessage {
  event: string;
  id?: string | number;
  data: unknown;
}

/**
 * How long a stream may stay silent before it sends a heartbeat comment (`: heartbeat`): shorter than the idle
 * timeouts of the usual proxies (60 s), so a stream whose resource does not change is not cut.
 */
export const SSE_HEARTBEAT_MS = 15_000;

/**
 * Answers `req` with a text/event-stream of the messages `open` yields, until it returns or the client goes away
 * (its signal then fires). A message whose event and data are those of the message sent before is not sent again
 * (nothing changed; its id alone does not count); a stream silent for `heartbeatMs` gets a comment line instead.
 * An error after the stream started is sent as an `error` event, then the stream ends. Callers check that the
 * resource exists first, so a 404 is still a normal JSON error (`streamChanges` does).
 */
export async function streamSse(
  req: FastifyRequest, reply: FastifyReply, open: (signal: AbortSignal) => AsyncIterable<SseMessage>, heartbeatMs = SSE_HEARTBEAT_MS,
): Promise<void> {
  const closed = new AbortController();
  req.raw.on('close', () => closed.abort());
  // The key was checked when the stream opened; a stream can outlive its key (revoked, expired, role taken away),
  // so it is asked again before every event and heartbeat, and the stream ends with the refusal.
  const stillAllowed = (req as { stillAllowed?: () => Promise<void> }).stillAllowed;
  let refusal: unknown;
  const allowed = async (): Promise<boolean> => {
    try {
      await stillAllowed?.();
      return refusal === undefined;
    } catch (err) {
      refusal ??= err;
      closed.abort();
      return false;
    }
  };
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-correlation-id': String(req.id) });
  // An interval restarted on every event: a comment goes out only after `heartbeatMs` of silence.
  const heartbeat = setInterval(() => void allowed().then((ok) => ok && !res.writableEnded && res.write(': heartbeat\n\n')), heartbeatMs);
  const errorEvent = (err: unknown) => `event: error\ndata: ${JSON.stringify({ message: err instanceof Error ? err.message : String(err) })}\n\n`;
  let last: string | undefined;
  try {
    for await (const m of open(closed.signal)) {
      const body = `event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`;
      if (body === last) continue;
      if (!(await allowed())) break;
      last = body;
      res.write(m.id === undefined ? body : `id: ${m.id}\n${body}`);
      heartbeat.refresh();
    }
  } catch (err) {
    if (refusal === undefined) res.write(errorEvent(err));
  } finally {
    clearInterval(heartbeat);
    if (refusal !== undefined) res.write(errorEvent(refusal));
    res.end();
  }
}

/** What `streamChanges` streams: one resource, read (or watched) until it is final. */
export interface ChangeStream<T> {
  /** Reads the resource; throws NotFoundError (a JSON 404, before the stream starts) when it does not exist. */
  read: () => Promise<T>;
  /** The resource's changes; by default `read` polled, yielding whenever its view changes. */
  watch?: (signal: AbortSignal) => AsyncIterable<T>;
  view: (row: T) => unknown;
  /** The stream ends with the first final row, sent as `end`; the others are `progress`. */
  isFinal: (row: T) => boolean;
  heartbeatMs?: number;
}

/**
 * The one opening of a resource's event stream (deployments, rollouts, distillations): 404 as a normal error when
 * the resource does not exist, then `progress` with the view whenever it changes and `end` once it is final.
 */
export async function streamChanges<T>(req: FastifyRequest, reply: FastifyReply, s: ChangeStream<T>): Promise<void> {
  await s.read();
  const watch = s.watch ?? ((signal: AbortSignal) => pollChanges(s.read, (row) => JSON.stringify(s.view(row)), s.isFinal, signal));
  await streamSse(req, reply, async function* (signal) {
    for await (const row of watch(signal)) yield { event: s.isFinal(row) ? 'end' : 'progress', data: s.view(row) };
  }, s.heartbeatMs);
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
