import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapPage } from './pagination.dto';
import { markShared, sharedView, toJson } from './shared-views';

const record = (id: string) => ({ id, at: new Date(Date.UTC(2026, 0, 1)), tags: ['a'], gone: undefined as string | undefined });
const toView = (r: ReturnType<typeof record>) => ({ id: r.id, at: r.at.toISOString(), tags: r.tags, note: r.gone });

test('toJson writes exactly what JSON.stringify writes, shared parts or not', () => {
  const shared = { items: [record('a'), record('b')], total: 2 };
  markShared(shared);
  const payloads: unknown[] = [
    null, 'text', 42, [1, 'x'], record('plain'), { a: undefined, b: () => 1, c: [undefined], d: new Date(0) },
    shared, { ...mapPage({ ...shared, limit: 50, offset: 0 }, toView), extra: undefined }, { toJSON: () => 'custom' },
  ];
  for (const p of payloads) assert.equal(toJson(p), JSON.stringify(p));
});

test('a shared value\'s view is computed once per mapper; an unshared value\'s every time', () => {
  let calls = 0;
  const counting = (r: ReturnType<typeof record>) => (calls++, toView(r));
  const cached = record('cached');
  markShared(cached);
  assert.equal(sharedView(cached, counting), sharedView(cached, counting));
  assert.equal(calls, 1);
  const fresh = record('fresh');
  assert.notEqual(sharedView(fresh, counting), sharedView(fresh, counting));
  assert.equal(calls, 3);
});

test('mapPage maps a shared page\'s items once, and the page\'s JSON reuses their text', () => {
  let calls = 0;
  const counting = (r: ReturnType<typeof record>) => (calls++, toView(r));
  const page = { items: [record('a'), record('b')], total: 2 };
  markShared(page);
  const first = mapPage({ ...page, limit: 2, offset: 0 }, counting);
  const second = mapPage({ ...page, limit: 2, offset: 0 }, counting);
  assert.equal(first.items, second.items);
  assert.equal(calls, 2);
  assert.equal(toJson(second), JSON.stringify(second));
});
