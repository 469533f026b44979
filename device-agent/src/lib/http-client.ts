import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** PEM CA certificate(s) that sign the server's certificate (--ca-file); default: the system's CAs. */
  ca?: string;
  timeoutMs: number;
  /** Larger answers are cut off and refused. */
  maxBytes: number;
}

/**
 * One HTTP(S) request to the control plane (enrollment, the trusted key set), by node:http(s) rather than the
 * global fetch, because only node:https takes a private CA (`--ca-file`, the one the broker's certificate is
 * signed by) without another dependency. A certificate not signed by that CA (or by a system CA when none is
 * given) fails the TLS handshake; it is never accepted.
 */
export function httpFetch(url: URL, o: HttpOptions): Promise<{ status: number; body: Buffer }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: o.method ?? 'GET',
      headers: { ...o.headers, ...(o.body !== undefined && { 'content-length': String(Buffer.byteLength(o.body)) }) },
      ...(url.protocol === 'https:' && o.ca !== undefined && { ca: o.ca }),
      timeout: o.timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBytes) {
          req.destroy(new Error(`answer larger than ${o.maxBytes} B refused`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
