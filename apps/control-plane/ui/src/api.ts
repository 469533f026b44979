// Every figure the dashboard shows comes from the control plane's REST API, called with the operator's API key.
// The key lives in sessionStorage (gone when the tab closes) and is sent as `Authorization: Bearer <key>`.

const KEY_ITEM = 'edgefleet.apiKey';
const API = '/api/v1';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY_ITEM),
  set: (key: string): void => sessionStorage.setItem(KEY_ITEM, key),
  clear: (): void => sessionStorage.removeItem(KEY_ITEM),
};

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Listeners told when the key stops working (revoked, or never valid): the app goes back to the login form. */
const onUnauthorized = new Set<() => void>();
export const whenUnauthorized = (f: () => void): (() => void) => {
  onUnauthorized.add(f);
  return () => onUnauthorized.delete(f);
};

const headers = (key = session.key()): HeadersInit => (key ? { authorization: `Bearer ${key}` } : {});

async function failure(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: unknown };
    if (body.message) message = Array.isArray(body.message) ? body.message.join('; ') : String(body.message);
  } catch { /* not JSON */ }
  if (res.status === 401) for (const f of onUnauthorized) f();
  return new ApiError(res.status, message);
}

/** GET /api/v1<path> as JSON. */
export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`${API}${path}`, { headers: headers(), signal });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** POST /api/v1<path> with a JSON body; the answer as JSON. A 403 (the key's role may not) is an ApiError like any other. */
export async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${API}${path}`, { method: 'POST', headers: { ...headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** The calling key's role (GET /api-keys/me); undefined on a control plane without that route. */
export async function myRole(signal?: AbortSignal): Promise<string | undefined> {
  return (await getOptional<{ role: string }>('/api-keys/me', signal))?.role;
}

/** GET that answers undefined on 404 (a route another version of the control plane may not have yet). */
export async function getOptional<T>(path: string, signal?: AbortSignal): Promise<T | undefined> {
  try {
    return await get<T>(path, signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

export interface Page<T> { items: T[]; total: number; limit: number; offset: number }

/** Every item of a paged list (500 per request, the API's largest page). */
export async function all<T>(path: string, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let offset = 0; ; offset += 500) {
    const page = await get<Page<T>>(`${path}${sep}limit=500&offset=${offset}`, signal);
    out.push(...page.items);
    if (page.items.length === 0 || out.length >= page.total) return out;
  }
}

/** Checks a key before keeping it: any viewer-readable list will do. */
export async function tryKey(key: string): Promise<void> {
  const res = await fetch(`${API}/devices?limit=1`, { headers: headers(key) });
  if (res.status === 401) throw new ApiError(401, 'This API key was refused.');
  if (res.status === 403) throw new ApiError(403, 'This API key may not read the fleet (it needs the viewer role or above).');
  if (!res.ok) throw await failure(res);
}

export interface SseEvent { event: string; data: unknown }

/**
 * Reads a server-sent-event stream of the API. EventSource cannot send an Authorization header, so this reads the
 * stream with fetch. Ends when the server ends the stream or `signal` fires.
 */
export async function* events(path: string, signal: AbortSignal): AsyncGenerator<SseEvent> {
  const res = await fetch(`${API}${path}`, { headers: { ...headers(), accept: 'text/event-stream' }, signal });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      yield { event, data: data.length ? JSON.parse(data.join('\n')) : null };
    }
  }
}
