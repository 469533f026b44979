import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { unlink } from 'node:fs/promises';
import { parseJsonBounded } from '@edgefleet/contracts';
import type { Logger } from '../lib/logger';
import { InferInputError, NoModelError, type InferRequest, type ModelServer } from './model-server';

/** Where the local inference endpoint listens: TCP on a loopback address, or a Unix socket. */
export type ServeAddress = { host?: string; port: number } | { socketPath: string };

export const DEFAULT_SERVE_PORT = 8470;
/** Largest request body (a 224×224×3 float image as JSON is ~1.5 MB). */
export const MAX_INFER_BODY_BYTES = 8 * 1024 * 1024;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The endpoint is for applications on the device: it never listens on a network interface. */
export function checkServeAddress(a: ServeAddress): string | undefined {
  if ('socketPath' in a) return a.socketPath ? undefined : 'socket path is empty';
  const host = a.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !(isIP(host) === 4 && host.startsWith('127.'))) return `serve host ${host} is not a loopback address: the inference endpoint is local only`;
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) return `serve port ${a.port} out of range`;
  return undefined;
}

/**
 * `POST /v1/infer` (body: InferRequest JSON) → `{ model, output, summary, latencyMs }`; `GET /v1/model` → the
 * active model. 400 for a bad body, 503 while no model is active, 500 when the runtime fails.
 */
export class InferHttpServer {
  private server?: Server;

  constructor(private readonly models: ModelServer, private readonly logger: Logger) {}

  /** Resolves with the bound address (`host:port` or the socket path). */
  async listen(a: ServeAddress): Promise<string> {
    const problem = checkServeAddress(a);
    if (problem) throw new Error(problem);
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    this.server = server;
    if ('socketPath' in a) await unlink(a.socketPath).catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if ('socketPath' in a) server.listen(a.socketPath, resolve);
      else server.listen(a.port, a.host ?? '127.0.0.1', resolve);
    });
    const addr = server.address();
    if (addr === null || typeof addr === 'string') return addr ?? '';
    return `${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeIdleConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.url === '/v1/model' && req.method === 'GET') return send(res, 200, { model: this.models.model ?? null });
      if (req.url !== '/v1/infer') return send(res, 404, { error: 'not found: POST /v1/infer, GET /v1/model' });
      if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
      const body = await readBody(req);
      if (body === undefined) return send(res, 413, { error: `body larger than ${MAX_INFER_BODY_BYTES} bytes` });
      const parsed = parseJsonBounded(body, { maxBytes: MAX_INFER_BODY_BYTES, maxDepth: 8 });
      if (!parsed.ok) return send(res, 400, { error: parsed.errors.join('; ') });
      send(res, 200, await this.models.infer(parsed.value as InferRequest));
    } catch (err) {
      if (err instanceof InferInputError) return send(res, 400, { error: err.message });
      if (err instanceof NoModelError) return send(res, 503, { error: err.message });
      this.logger.warn('inference failed', { error: (err as Error).message });
      send(res, 500, { error: `inference failed: ${(err as Error).message}`.slice(0, 2000) });
    }
  }
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_INFER_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_INFER_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
