export interface HttpResponse<T = any> {
  status: number;
  /** Parsed JSON when the answer says JSON, the text when it says text, the bytes otherwise. */
  body: T;
  headers: Headers;
}

/**
 * The one client of the control plane's admin API that tests, benches and the demo use: fetch() with the
 * Bearer key, a JSON or multipart body, and the answer parsed by its content type. `ok` throws on ≥ 300 with
 * the method, path, status and body, for callers that only go on with a success. (Written here, not taken
 * from a library: it is fetch() with two conventions, and the agent's package may use it without new weight.)
 */
export class HttpClient {
  constructor(readonly baseUrl: string, readonly apiKey?: string) {}

  /** The same client with another key (or none). */
  withKey(apiKey: string | undefined): this {
    return new (this.constructor as new (baseUrl: string, apiKey?: string) => this)(this.baseUrl, apiKey);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<HttpResponse<T>> {
    const h: Record<string, string> = { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...headers };
    const init: RequestInit = { method, headers: h, ...(signal && { signal }) };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, init);
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') ? await parseJsonOrText(res) : type.startsWith('text/') ? await res.text() : Buffer.from(await res.arrayBuffer());
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(path: string) { return this.request<T>('GET', path); }
  post<T = any>(path: string, body?: unknown) { return this.request<T>('POST', path, body); }
  patch<T = any>(path: string, body?: unknown) { return this.request<T>('PATCH', path, body); }
  put<T = any>(path: string, body?: unknown) { return this.request<T>('PUT', path, body); }
  delete<T = any>(path: string) { return this.request<T>('DELETE', path); }

  /** The body of a successful answer; anything ≥ 300 throws with what the server said. */
  async ok<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request<T>(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
    return r.body;
  }
}

/** A body that says JSON but is not (an empty 204, a proxy's error page) comes back as its text. */
async function parseJsonOrText(res: Response): Promise<unknown> {
  const text = await res.text();
  try { return JSON.parse(text); } catch { return text; }
}
