/** Test-only helpers for distillation tests: a small synthetic CSV data set and an SSE reader. */
import assert from 'node:assert/strict';
import type { ApiClient } from '../../testing/factories';

/** `rows` samples of `features` values in 3 well-separated classes (label first), deterministic. */
export function syntheticCsv(rows = 240, features = 8, classes = 3): string {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = ['label,' + Array.from({ length: features }, (_, i) => `f${i}`).join(',')];
  for (let r = 0; r < rows; r++) {
    const y = r % classes;
    const x = Array.from({ length: features }, (_, i) => ((i % classes === y ? 0.8 : 0.2) + (rand() - 0.5) * 0.3).toFixed(3));
    lines.push(`${y},${x.join(',')}`);
  }
  return lines.join('\n') + '\n';
}

export function uploadCsvDataset(api: ApiClient, name: string, csv: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.set('name', name);
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('csv', new Blob([csv]), 'data.csv');
  return api.request('POST', '/api/v1/datasets', form);
}

export interface SseEvent {
  event: string;
  data: any;
}

/** Reads a server-sent-event stream until it ends (or `timeoutMs`), calling `onEvent` as events arrive. */
export async function readSse(api: ApiClient, path: string, timeoutMs: number, onEvent: (e: SseEvent) => Promise<void> | void = () => {}): Promise<SseEvent[]> {
  const res = await fetch(`${api.baseUrl}${path}`, { headers: { authorization: `Bearer ${api.apiKey}` }, signal: AbortSignal.timeout(timeoutMs) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body!) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      if (field('data') === undefined) continue; // a heartbeat comment
      const e = { event: field('event') ?? 'message', data: JSON.parse(field('data') ?? 'null') };
      events.push(e);
      await onEvent(e);
    }
  }
  return events;
}

export async function waitForStatus(api: ApiClient, id: string, statuses: string[], timeoutMs: number, also: (job: any) => boolean = () => true): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api.get(`/api/v1/distillations/${id}`);
    if (statuses.includes(r.body.status) && also(r.body)) return r.body;
    if (Date.now() > deadline) assert.fail(`job ${id} is ${r.body.status} (${r.body.error ?? ''}), expected ${statuses.join('|')} within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
